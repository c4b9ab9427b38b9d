"""Councils, their Area Democracy Forums, and each forum's stages."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone


class StageKind(models.TextChoices):
    """The stages a forum moves through, in order."""

    DESIGN = "design", "Design"
    RECRUITMENT = "recruitment", "Recruitment"
    SELECTION = "selection", "Selection"
    DELIBERATION = "deliberation", "Deliberation"
    RECOMMENDATIONS = "recommendations", "Recommendations"
    COUNCIL_RESPONSE = "council_response", "Council response"
    EVALUATION = "evaluation", "Evaluation"


STAGE_ORDER: list[str] = [kind.value for kind in StageKind]


class Council(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Forum(models.Model):
    """One Area Democracy Forum: a question a council puts to a randomly selected panel."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="forums")
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    question = models.CharField(max_length=300, help_text="The question the panel will answer.")
    area = models.CharField(
        max_length=200, help_text="The place the forum covers, e.g. a ward or the borough."
    )
    summary = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    panel_size = models.PositiveIntegerField()
    current_stage = models.CharField(max_length=32, choices=StageKind.choices, default=StageKind.DESIGN)
    published = models.BooleanField(default=True, help_text="Published forums are listed on the public site.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="forum_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(panel_size__gte=1), name="forum_panel_size_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("processes:forum", kwargs={"forum_slug": self.slug})

    @property
    def is_finished(self) -> bool:
        """Past its end date: every stage, the last included, is complete."""
        return self.ends_on < timezone.localdate()


class Stage(models.Model):
    """What happens in one stage of one forum; a forum includes only the stages it runs."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="stages")
    kind = models.CharField(max_length=32, choices=StageKind.choices)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="What happens in this stage, in plain English.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["forum", "kind"], name="unique_stage_per_forum")]

    def __str__(self) -> str:
        return f"{self.forum}: {self.get_kind_display()}"

    @property
    def position(self) -> int:
        return STAGE_ORDER.index(self.kind)
