import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.read.values import parse_label, parse_number, parse_whole_number


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("6,5", 6.5),
        ("7", 7.0),
        (7, 7.0),
        ("1.234,5", 1234.5),
        ("1.234", 1234.0),
        ("0,25", 0.25),
        (" 10 ", 10.0),
        ("2.5", 2.5),
    ],
)
def test_numbers_as_danes_write_them(raw, value):
    assert parse_number(raw) == value


@pytest.mark.parametrize("raw", ["seks", "6,5,1", "1,234.5", "--3"])
def test_text_is_not_a_number(raw):
    with pytest.raises(ValueError, match="not a number"):
        parse_number(raw)


def test_whole_numbers_refuse_fractions():
    assert parse_whole_number("3,0") == 3 and parse_whole_number(None) is None
    with pytest.raises(ValueError, match="whole"):
        parse_whole_number("2,5")


def test_labels_match_normalised_and_missing_is_none():
    lookup = {"hele tiden": 5, "1": 5}
    assert parse_label("  Hele   TIDEN ", lookup) == 5
    assert parse_label(1.0, lookup) == 5
    assert parse_label("Ved ikke", lookup, {"ved ikke"}) is None
    with pytest.raises(KeyError):
        parse_label("Altid", lookup)


@given(
    st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda t: t.strip()), st.integers(0, 9), min_size=1),
    st.data(),
)
def test_any_spelling_with_other_case_and_spacing_finds_its_code(labels, data):
    from analysis.read.codebook import normalise_label

    lookup = {normalise_label(k): v for k, v in labels.items()}
    label = data.draw(st.sampled_from(sorted(labels)))
    variant = "  " + " ".join(label.split()).upper() + " "
    if normalise_label(variant) == normalise_label(label):  # some letters change length when upper-cased
        assert parse_label(variant, lookup) == lookup[normalise_label(label)]


@given(st.text(max_size=15))
def test_a_label_is_either_known_missing_or_an_error_never_a_guess(text):
    lookup = {"hele tiden": 5}
    try:
        result = parse_label(text, lookup, {"ved ikke"})
    except KeyError:
        return
    assert result in (5, None)
