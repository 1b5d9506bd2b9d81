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
