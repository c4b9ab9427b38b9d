"""Business rules of recruitment. Views stay thin and call these; most modules here need no database."""
