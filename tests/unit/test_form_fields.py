"""Form fields reach assistive technology whole: every attribute of an input stays separate."""

from __future__ import annotations

import re

from community.templating import environment


def render_field(**kwargs: object) -> str:
    template = environment().from_string('{% from "_macros.html" import field %}{{ field(**kw) }}')
    return template.render(kw={"name": "phone", "label": "Phone", "values": {"phone": "138"}, **kwargs})


def test_required_invalid_and_described_stay_separate_attributes() -> None:
    html = render_field(errors={"phone": "Please enter an 11-digit mobile number."}, required=True,
                        hint="Your mobile number", maxlength=20, inputmode="numeric", autocomplete="tel")
    tag = re.search(r"<input[^>]*>", html).group(0)
    for attribute in ('required', 'aria-invalid="true"', 'aria-describedby="e-phone h-phone"', 'maxlength="20"',
                      'inputmode="numeric"', 'autocomplete="tel"', 'value="138"'):
        assert re.search(r"\s" + re.escape(attribute) + r"[\s>]", tag), (attribute, tag)
    assert 'id="e-phone"' in html and 'id="h-phone"' in html


def test_a_hint_alone_describes_the_field() -> None:
    tag = re.search(r"<input[^>]*>", render_field(errors={}, hint="Your mobile number")).group(0)
    assert ' aria-describedby="h-phone"' in tag and "aria-invalid" not in tag and " required" not in tag


def test_the_textarea_and_select_macros_keep_attributes_apart() -> None:
    # Error texts from the catalog: the macros translate them, and an unknown one would be recorded as missing
    # from the Chinese catalog for the rest of the run (tests/http check that record).
    source = ('{% from "deliberation/_macros.html" import textarea, select %}'
              '{{ textarea("reason", "Reason", {}, {"reason": "At most 20,000 characters."}, maxlength=300, hint="Short") }}'
              '{{ select("kind", "Kind", [("a", "A")], {}, {"kind": "Choose a community"}, hint="Which") }}')
    html = environment().from_string(source).render()
    textarea = re.search(r"<textarea[^>]*>", html).group(0)
    for attribute in ('maxlength="300"', 'aria-invalid="true"', 'aria-describedby="f-e-reason f-h-reason"'):
        assert re.search(r"\s" + re.escape(attribute) + r"[\s>]", textarea), (attribute, textarea)
    select = re.search(r"<select[^>]*>", html).group(0)
    assert re.search(r'\saria-describedby="e-kind h-kind"[\s>]', select), select


def test_no_template_line_glues_an_attribute_to_the_one_before() -> None:
    """With trim_blocks and lstrip_blocks, a line `{% if x %}attr=…` loses the space before `attr`: the
    attribute then runs into the previous one (`maxlength="300"aria-invalid=…`), and screen readers lose both."""
    from pathlib import Path

    glued = re.compile(r"^\s+\{%-?\s*(if|elif|else)[^%]*%\}[a-z][a-z-]*(=|\s|>)")
    templates = Path(__file__).resolve().parents[2] / "templates"
    found = [f"{path}:{n}" for path in templates.rglob("*.html")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if glued.match(line)]
    assert not found, found
