"""Country counting read against the article: its own countries, dateline and outlet (issue 12).

The texts are written for these tests (no corpus text); each pins one rule of
streams/nlp/countries.py or of the gazetteer behind it.
"""

from __future__ import annotations

import pytest

from streams.nlp.analyze import ArticleMeta
from streams.nlp.countries import count_countries, find_country_mentions, outlet_country
from streams.nlp.country_names import country_name, load_gazetteer
from streams.nlp.text import Ranges, boilerplate_ranges


def _countries(nlp, text: str, url: str | None = None, title: str | None = None) -> dict[str, int]:
    """The country step alone, over the fields as analyze_doc passes them (title, then the body
    without its boilerplate lines)."""
    fields = []
    if title:
        fields.append((nlp(title), "title", Ranges()))
    fields.append((nlp(text), "text", boilerplate_ranges(text)))
    counts, _ = count_countries(find_country_mentions(fields, ArticleMeta(url=url)))
    return counts


# --- the outlet's country -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, code",
    [
        ("https://www.namibian.com.na/news/a-story", "NA"),
        ("https://www.dailymaverick.co.za/article/x/", "ZA"),
        ("https://dailynews.co.tz/some-story", "TZ"),
        ("https://www.standard.co.uk/news/politics/x.html", "GB"),
        ("https://thewest.com.au/business/x", "AU"),
        ("https://www.lestimes.ls/a", "LS"),
        ("http://example.pt/noticia?id=3", "PT"),
        ("https://worldtruth.tv/x", None),  # .tv is used as a generic domain
        ("https://www.euronews.com/2024/04/30/x", None),
        ("not a url at all", None),
    ],
)
def test_outlet_country_from_country_code_domain(url, code):
    assert outlet_country(ArticleMeta(source="Any", url=url)) == code


def test_outlet_country_without_meta():
    assert outlet_country(None) is None
    assert outlet_country(ArticleMeta()) is None


# --- a town name read against the article ---------------------------------------------------


def test_san_jose_in_a_costa_rica_story_is_costa_rica(nlp):
    text = (
        "Costa Rica has become a magnet for surfers. Most visitors land in San José and drive to the "
        "Pacific coast, where Costa Rican guides rent out boards."
    )
    assert _countries(nlp, text) == {"CR": 3}


def test_san_jose_in_a_california_story_is_the_us(nlp):
    text = (
        "Tech firms in California keep hiring. In San Jose, the US city at the heart of Silicon Valley, "
        "rents rose again."
    )
    assert _countries(nlp, text) == {"US": 2}


def test_qualifier_after_the_town_decides(nlp):
    assert _countries(nlp, "The festival moved from Plymouth, Minnesota, to a bigger site.") == {"US": 1}
    assert _countries(nlp, "The plant in Lagos, Portugal, closed.") == {"PT": 2}


def test_outlet_country_decides_a_shared_town_name(nlp):
    text = "Police closed roads in Southport after the storm, the council said."
    assert _countries(nlp, text, url="https://www.example.co.uk/news/1") == {"GB": 1}
    assert _countries(nlp, text, url="https://www.example.com.au/news/1") == {"AU": 1}


def test_a_big_capital_beats_a_namesake_of_the_story_country(nlp):
    text = (
        "American officials met in Washington on Monday. The US team will fly to Paris next week, and "
        "Americans expect a deal."
    )
    assert _countries(nlp, text)["FR"] == 1


def test_lagos_alone_is_nigeria_and_in_a_portugal_story_portugal(nlp):
    assert _countries(nlp, "Traffic in Lagos ground to a halt.") == {"NG": 1}
    text = (
        "Portugal's Algarve coast had a record summer. Hotels in Lagos and Albufeira were full, "
        "Portuguese officials said."
    )
    assert _countries(nlp, text) == {"PT": 4}


def test_foreign_small_town_the_local_paper_never_places_is_not_counted(nlp):
    # A village of a Guyanese paper that GeoNames does not know, named like a US town.
    text = "Flood waters rose in Bloomfield and Anna Regina on Monday, the Guyana Civil Defence Commission said."
    assert _countries(nlp, text, url="https://www.example.gy/news/floods") == {"GY": 2}


def test_small_country_towns_count_with_their_country_in_context(nlp):
    text = "Farmers in Opuwo and Outapi waited for rain this week."
    assert _countries(nlp, text, url="https://www.namibian.com.na/news/rain") == {"NA": 2}
    # A town that small with no Namibian context (outlet, names, places listed with it) is not
    # taken on trust.
    assert _countries(nlp, "Farmers in Opuwo waited for rain this week.") == {}


def test_big_countrys_small_town_shadows_a_foreign_namesake(nlp):
    text = (
        "Canadian travellers flocked to Jasper this summer. Canada's national parks drew record crowds, "
        "and Jasper's hotels were full, Canadian officials said."
    )
    assert _countries(nlp, text) == {"CA": 5}


def test_kennedy_space_center_is_not_a_colombian_town(nlp):
    text = "Oman's launch site is modelled on the Kennedy Space Center, Omani officials said."
    assert _countries(nlp, text) == {"OM": 2}


# --- states, provinces and regions ----------------------------------------------------------


def test_the_state_of_washington_is_a_state(nlp):
    assert _countries(nlp, "Wildfires burned across the state of Washington.") == {}
    assert _countries(nlp, "Wildfires burned across Washington state.") == {}
    assert _countries(nlp, "Lawmakers in Washington passed the bill.") == {"US": 1}


def test_a_province_is_not_its_namesake_town(nlp):
    assert _countries(nlp, "Ontario will raise its minimum wage, the premier said.") == {}
    assert _countries(nlp, "Flights from Ontario, California, were delayed.") == {"US": 1}


def test_region_named_like_its_town(nlp):
    text = "Women traders in Lindi town sell fish at night. Lindi Region has 900,000 people."
    assert _countries(nlp, text, url="https://dailynews.co.tz/x") == {"TZ": 1}


def test_us_state_named_like_a_town_is_the_state(nlp):
    # "Delaware" is also a town in Ohio; the state is meant.
    text = "Joe Biden spent the weekend at his home in Delaware, the US president's aides said."
    assert _countries(nlp, text) == {"US": 1}


def test_state_after_a_town_locates_the_town(nlp):
    text = "She studied at a small college in Rhinebeck, New York, before moving to London."
    assert _countries(nlp, text) == {"GB": 1}


def test_landform_named_like_a_town(nlp):
    text = "Hikers got lost near the Kaimur hills in India."
    assert _countries(nlp, text) == {"IN": 1}


# --- names, short forms and compounds -------------------------------------------------------


def test_american_indian_is_the_us_not_india(nlp):
    text = "American Indian leaders met Native American groups in Arizona."
    assert _countries(nlp, text) == {"US": 2}


def test_a_town_whose_name_holds_the_place_the_ner_tagged(nlp):
    # The NER tags only "Spain" in "Port of Spain": still a place, Trinidad and Tobago's capital.
    assert _countries(nlp, "Residents of Port of Spain were shocked by the shooting on Tuesday.") == {"TT": 1}


def test_local_short_forms_and_territories(nlp):
    text = (
        "Tourists from the BVI and the USVI joined Trinidadians in Port of Spain. Puerto Rico and the "
        "Cayman Islands sent teams; Bermudians came too."
    )
    assert _countries(nlp, text) == {"BM": 1, "KY": 1, "PR": 1, "TT": 2, "VG": 1, "VI": 1}


def test_tt_needs_trinidad_in_context_and_is_no_currency(nlp):
    text = "TT has won the match. The TT dollar fell against the US dollar."
    assert _countries(nlp, text, url="https://www.example.tt/sport/1") == {"TT": 1}
    assert _countries(nlp, "The TT race on the Isle of Man starts on Monday.") == {"IM": 1}


def test_currency_names_are_not_countries(nlp):
    text = "The Canadian dollar traded at 74 U.S. cents as Canada's jobs data came out."
    assert _countries(nlp, text) == {"CA": 1}


def test_demonyms_of_small_countries(nlp):
    text = "Basotho workers crossed the border, and Batswana traders followed them."
    assert _countries(nlp, text) == {"BW": 1, "LS": 1}


def test_combining_forms_count_before_a_country_word(nlp):
    assert _countries(nlp, "The Anglo-American deal and Sino-Indian talks went ahead.") == {
        "CN": 1,
        "GB": 1,
        "IN": 1,
        "US": 1,
    }
    assert _countries(nlp, "The Indo-Pacific strategy and Anglo-Saxon law.") == {}


def test_both_koreas_count_once_each(nlp):
    assert _countries(nlp, "Japan and both Koreas launched satellites.") == {"JP": 1, "KP": 1, "KR": 1}


def test_gb_is_a_unit_after_a_number(nlp):
    assert _countries(nlp, "The phone has 128 GB of storage.") == {}
    assert _countries(nlp, "Michael Cole told GB News that the phone has 128 GB of storage.") == {"GB": 1}


def test_brussels_standing_for_the_eu_is_not_belgium(nlp):
    text = "EU leaders held a summit in Brussels. Critics of the EU say Brussels wants more power over budgets."
    assert _countries(nlp, text) == {"BE": 1}


# --- the article's NER, read as a whole -----------------------------------------------------


def test_a_town_the_ner_tags_as_a_name_counts_when_the_article_uses_it_as_a_place(nlp):
    text = (
        "Protesters gathered in Plymouth city centre. Plymouth Live reported that Plymouth police made "
        "arrests, and residents of Plymouth cleaned up."
    )
    assert _countries(nlp, text, url="https://www.example.co.uk/x") == {"GB": 4}


def test_surname_of_a_person_in_the_article_is_not_a_town(nlp):
    text = "Michael Jackson sold millions of records. Jackson said he loved touring Japan."
    assert _countries(nlp, text) == {"JP": 1}


def test_team_named_after_its_city(nlp):
    text = "The Green Bay Packers beat the Kansas City Chiefs, and Leeds United lost at home."
    assert _countries(nlp, text) == {"GB": 1, "US": 2}


def test_district_of_a_story_is_not_a_foreign_city(nlp):
    # "Hollywood" is the film industry (an LA district), not Hollywood, Florida.
    text = "A Hollywood studio bought the rights, British producers said."
    assert _countries(nlp, text) == {"GB": 1}


# --- the gazetteer's data -------------------------------------------------------------------


def test_gazetteer_api_kept_for_the_other_extractors():
    gaz = load_gazetteer()
    moscow = max(gaz.lookup("Moscow"), key=lambda p: p.population)
    assert (moscow.code, moscow.kind) == ("RU", "capital") and moscow.population > 10_000_000
    assert [p.code for p in gaz.lookup("Basotho")] == ["LS"]
    assert gaz.lookup("Ontario") == ()  # the province blocks the Californian town for lookups
    assert {p.code for p in gaz.towns("Ontario")} == {"US"}  # ... the counting still weighs it
    assert {s.code for s in gaz.subdivision("Ontario")} == {"CA"}
    assert gaz.lookup("Zurich")[0].code == "CH"  # GeoNames' "Zürich", accent folded
    assert {p.code for p in gaz.lookup("Hull")} >= {"GB"}  # "Kingston upon Hull"
    assert country_name("VG") == "British Virgin Islands"
