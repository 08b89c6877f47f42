"""Required content by jurisdiction, channel and purpose; templates refused when they could leave it out."""

from __future__ import annotations

import pytest

from cupx.comms.defaults import default_templates, parse_template_file
from cupx.comms.rendering import RequiredContentMissing, TemplateSource, check_template, render, sample_data
from cupx.comms.required import Element, required_elements
from cupx.comms.validation import VALIDATION_FIELDS, validation_notice_text
from cupx.domain.errors import ValidationError

E = Element


@pytest.mark.parametrize(("jurisdiction", "channel", "purpose", "expected"), [
    ("US", "sms", "collection", (E.DEBT_COLLECTOR_DISCLOSURE, E.OPT_OUT_INSTRUCTION)),
    ("US-MA", "email", "collection", (E.DEBT_COLLECTOR_DISCLOSURE, E.OPT_OUT_INSTRUCTION)),
    ("US", "letter", "collection", (E.DEBT_COLLECTOR_DISCLOSURE,)),
    ("US", "call_task", "collection", (E.DEBT_COLLECTOR_DISCLOSURE,)),
    ("US", "letter", "validation_notice", (E.DEBT_COLLECTOR_DISCLOSURE, E.VALIDATION_NOTICE)),
    ("US", "email", "validation_notice", (E.DEBT_COLLECTOR_DISCLOSURE, E.VALIDATION_NOTICE, E.OPT_OUT_INSTRUCTION)),
    ("US", "sms", "opt_out_confirmation", ()),
    ("UK", "letter", "collection", (E.UK_ARREARS_WORDING,)),
    ("GB", "email", "collection", (E.UK_ARREARS_WORDING,)),
    ("UK", "sms", "collection", ()),
])
def test_required_elements(jurisdiction: str, channel: str, purpose: str, expected: tuple[Element, ...]) -> None:
    assert required_elements(jurisdiction, channel, purpose) == expected


def test_every_shipped_template_passes_its_own_checks() -> None:
    shipped = default_templates()
    assert {(t.channel, t.language) for t in shipped if t.template_id == "reminder"} == {
        (c, lang) for c in ("sms", "email", "letter", "call_task") for lang in ("en", "es")}
    for t in shipped:
        check_template(t)


def _sms(body: str, **kw: object) -> TemplateSource:
    return TemplateSource(template_id="t", channel="sms", language="en", body=body, **kw)  # type: ignore[arg-type]


def test_a_text_without_the_opt_out_is_refused_naming_the_element() -> None:
    with pytest.raises(RequiredContentMissing) as err:
        check_template(_sms("Pay {{ total_balance|money }}. {{ disclosure }}"))
    assert err.value.field == "opt_out_instruction" and "1006.6(e)" in err.value.message


def test_an_element_hidden_behind_a_condition_is_refused() -> None:
    body = "{{ disclosure }} {% if customer.first_name == 'Zed' %}{{ opt_out }}{% endif %}"
    with pytest.raises(RequiredContentMissing) as err:
        check_template(_sms(body))
    assert err.value.field == "opt_out_instruction"


def test_typing_the_disclosure_by_hand_does_not_count() -> None:
    body = "This communication is from a debt collector. {{ opt_out }}"
    with pytest.raises(RequiredContentMissing) as err:
        check_template(_sms(body))
    assert err.value.field == "debt_collector_disclosure"


def test_uk_letter_needs_the_arrears_wording() -> None:
    letter = TemplateSource(template_id="t", channel="letter", language="en", body="Dear {{ customer.name }}",
                            jurisdictions=("US", "UK"))
    with pytest.raises(RequiredContentMissing) as err:
        check_template(letter)
    assert err.value.field == "debt_collector_disclosure"
    with pytest.raises(RequiredContentMissing) as err:
        check_template(TemplateSource(template_id="t", channel="letter", language="en",
                                      body="{{ disclosure }}", jurisdictions=("US", "UK")))
    assert err.value.field == "uk_arrears_wording"


def test_unknown_variables_and_sandbox_escapes_are_refused() -> None:
    with pytest.raises(ValidationError) as err:
        check_template(_sms("{{ disclosure }} {{ opt_out }} {{ custmer.name }}"))
    assert err.value.field == "body"
    with pytest.raises(ValidationError):
        check_template(_sms("{{ disclosure }} {{ opt_out }} {{ ''.__class__.__mro__[1].__subclasses__() }}"))


def test_email_needs_a_subject() -> None:
    with pytest.raises(ValidationError) as err:
        check_template(TemplateSource(template_id="t", channel="email", language="en",
                                      body="{{ disclosure }} {{ opt_out }}"))
    assert err.value.field == "subject"


def test_initial_and_subsequent_disclosures_in_both_languages() -> None:
    [en] = [t for t in default_templates() if (t.template_id, t.channel, t.language) == ("reminder", "sms", "en")]
    [es] = [t for t in default_templates() if (t.template_id, t.channel, t.language) == ("reminder", "sms", "es")]
    first = render(en, sample_data(), disclosure_kind="initial")
    later = render(en, sample_data(), disclosure_kind="subsequent")
    assert "attempt to collect a debt" in first.body and first.content["disclosure"] == "initial_full"
    assert "attempt to collect" not in later.body and later.content["disclosure"] == "subsequent"
    assert "cobrador de deudas" in render(es, sample_data()).body
    assert first.content["opt_out_instruction"] is True


def test_validation_notice_lists_every_item_and_refuses_blanks() -> None:
    facts = sample_data()["validation"]
    text = validation_notice_text(facts)
    for heading in ("How do you want to respond?", "Check all that apply:", "www.cfpb.gov/debt-collection"):
        assert heading in text
    assert set(VALIDATION_FIELDS) <= set(facts)
    with pytest.raises(ValidationError) as err:
        validation_notice_text({**facts, "fees_since": ""})
    assert err.value.field == "validation.fees_since"


def test_template_files_parse_front_matter() -> None:
    text = "---\npurpose: collection\njurisdictions: US, UK\nsubject: Hola\n---\nBody"
    t = parse_template_file("x.email.es.j2", text)
    assert (t.template_id, t.channel, t.language, t.subject, t.jurisdictions, t.body) == (
        "x", "email", "es", "Hola", ("US", "UK"), "Body")
