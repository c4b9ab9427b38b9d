"""Reading the pool's answers looks each ward's category up in a table built once, not once per person."""

from typing import Any

import pytest

from civicforum.recruitment.models import QuotaQuestion
from civicforum.recruitment.services import quotas

pytestmark = pytest.mark.django_db


def test_the_ward_categories_are_read_once_per_question_not_once_per_respondent(
    pool: Any, django_assert_num_queries: Any
) -> None:
    forum = pool[0].forum
    questions = list(QuotaQuestion.objects.filter(forum=forum))  # not prefetched: every read is a query
    respondents = quotas.pool(forum)
    assert len(respondents) > 100 and sum(q.from_address for q in questions) == 1
    with django_assert_num_queries(1):
        values = [quotas.feature_values(respondent, questions) for respondent in respondents]
    assert {v["ward"] for v in values} == {"north-ward", "south-ward"}


def test_imported_shares_adding_up_to_more_than_the_population_are_refused(
    recruiting_forum: Any, officer: Any
) -> None:
    from civicforum.recruitment.services.problems import FileRejected

    data = b"question,category,share\ngender,woman,60%\n"  # the man share stays 49%
    with pytest.raises(FileRejected) as rejected:
        quotas.import_shares_csv(recruiting_forum, officer, data, "shares.csv")
    assert [str(p) for p in rejected.value.problems] == [
        "shares.csv: with the share already set for 'Man', the shares for 'What is your gender?' would add "
        "up to 109%: together they must be 100% or less."
    ]


def test_imported_shares_for_every_answer_must_make_the_whole_population(
    recruiting_forum: Any, officer: Any
) -> None:
    """Woman 30% and Man 30% were set without a word, then the proposed quotas could not fill the panel;
    a total that is too high because of shares the file leaves as they are says which ones."""
    from civicforum.recruitment.models import QuotaCategory
    from civicforum.recruitment.services.problems import FileRejected

    data = b"question,category,share\ngender,Woman,30%\ngender,Man,30%\nage,16 to 29,60%\nage,30 to 44,60%\n"
    with pytest.raises(FileRejected) as rejected:
        quotas.import_shares_csv(recruiting_forum, officer, data, "shares.csv")
    assert [str(p) for p in rejected.value.problems] == [
        "shares.csv: the shares for 'What is your gender?' add up to 60%: every answer has a share, so "
        "together they must make 100% (99% to 101% allows for rounding).",
        "shares.csv: with the shares already set for '45 to 64' and '65 or over', the shares for 'How old "
        "are you?' would add up to 174%: together they must be 100% or less.",
    ]
    shares = QuotaCategory.objects.filter(question__forum=recruiting_forum, question__key="gender")
    assert sorted(str(c.population_share) for c in shares) == ["0.4900", "0.5100"]  # nothing was set
    rounded = b"question,category,share\ngender,Woman,50.4%\ngender,Man,48.7%\n"
    assert quotas.import_shares_csv(recruiting_forum, officer, rounded, "shares.csv") == 2  # 99.1%
