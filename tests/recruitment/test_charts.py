from civicforum.recruitment.services.charts import Bar, bar_chart


def test_chart_escapes_labels_and_marks_targets() -> None:
    svg = bar_chart([Bar("<script>alert(1)</script>", 10, target=20), Bar("North", 5)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<rect") == 2 and svg.count("<line") == 1
    assert 'aria-hidden="true"' in svg


def test_bars_scale_to_the_largest_value_or_target() -> None:
    svg = bar_chart([Bar("A", 50, target=100), Bar("B", 100)])
    assert 'width="165.0"' in svg and 'width="330.0"' in svg
    assert bar_chart([]) == ""


def test_histogram_counts_every_value_once() -> None:
    from civicforum.recruitment.services.charts import histogram

    bars = histogram([0.0, 0.05, 0.1, 0.1, 0.02], bins=5)
    assert [b.value for b in bars] == [1, 1, 1, 0, 2]
    assert bars[0].label == "0.00%–2.00%" and histogram([]) == []
