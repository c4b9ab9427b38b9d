import sys

from civicforum.cli import main

sys.exit(main())
