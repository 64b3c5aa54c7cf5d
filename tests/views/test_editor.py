"""Writing a practice in the browser: the form, errors by field, preview, upload, conflicts."""

from __future__ import annotations

import io

from tests.auth_helpers import csrf_token, post

RIVERTON = "riverton-fictional-example-town"

FORM = {
    "title": "Rain gardens on school yards",
    "summary": "Pupils build rain gardens that keep roof water out of the sewers.",
    "language": "en", "organization": "Riverton (fictional example town)", "country": "GB",
    "population": "42 000", "themes": ["climate-adaptation", "water"],
    "tags": "example, rain gardens", "stage": "pilot", "evidence": "monitored",
    "started": "2023-04",
    "outcome-0-indicator": "Roof water kept out of sewers", "outcome-0-unit": "%",
    "outcome-0-baseline": "0", "outcome-0-result": "60", "outcome-0-better": "higher",
    "outcome-0-note": "illustrative figure",
    "outcome-1-indicator": "Schools taking part", "outcome-1-unit": "count",
    "outcome-1-result": "4", "outcome-1-note": "illustrative figure",
    "links": "Programme page | https://example.org/rain",
    "license": "CC-BY-4.0", "visibility": "public",
    "body": "## Challenge\n\nSewers overflow in summer storms.\n\n## Solution\n\nRain gardens.",
    "action": "save",
}


def signed_in(app, make_user, email="author@kb.example", orgs=None):
    make_user(email, orgs=orgs if orgs is not None else {RIVERTON: "contributor"})
    client = app.test_client()
    assert post(client, "/login", {"email": email, "password": "correct horse battery"}
                ).status_code == 302
    return client


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/practices/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_new_form_is_prefilled_with_my_organization(app, make_user):
    client = signed_in(app, make_user)
    html = client.get("/practices/new").get_data(as_text=True)
    # a fictional town's population is unknown: the illustrative 42000 of its example
    # practice is not its organization's
    assert 'value="GB"' in html and 'value="42000"' not in html
    with app.app_context():
        from kb.services.identity import SYSTEM
        from kb.services.places import org_details_update

        org_details_update(SYSTEM, RIVERTON, {"name": "Riverton (fictional example town)",
                                              "kind": "other", "country": "GB",
                                              "population": "42000"})
    html = client.get("/practices/new").get_data(as_text=True)
    assert 'value="GB"' in html and 'value="42000"' in html
    assert '<option value="Riverton (fictional example town)" selected>' in html
    assert 'id="f-outcome-1-indicator"' in html  # two outcome rows to start with
    assert '<datalist id="tag-suggestions">' in html and '<option value="example">' in html


def test_a_half_written_draft_is_saved_and_submit_lists_what_is_missing(app, make_user):
    client = signed_in(app, make_user)
    bad = {**FORM, "stage": "", "outcome-1-result": "four", "started": "April 2023"}
    saved = post(client, "/practices/new", bad)
    assert saved.status_code == 302  # a draft keeps whatever is written so far
    url = saved.headers["Location"]
    edit = client.get(url).get_data(as_text=True)
    assert 'value="four"' in edit and 'value="April 2023"' in edit
    assert 'value="Schools taking part"' in edit and "Sewers overflow in summer storms." in edit
    response = post(client, url, {**bad, "action": "submit", "slug": url.split("/")[2],
                                  "base_revision_id": _hidden(edit, "base_revision_id"),
                                  "base_hash": _hidden(edit, "base_hash")})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # a checklist, each item linking to its field, each field named by its label
    assert "Your draft is saved. Before it can go to review, complete these:" in html
    assert '<a href="#f-stage">Stage: this is still missing.</a>' in html
    assert '<a href="#f-outcome-1-result">Outcome 2: Result: write a number' in html
    assert '<a href="#f-started">Started: write a date as YYYY' in html
    assert 'id="f-stage-error"' in html and 'id="f-outcome-1-result-error"' in html
    assert "frontmatter" not in html.lower()
    assert 'value="four"' in html and "Sewers overflow in summer storms." in html
    work = client.get("/my-work").get_data(as_text=True)
    assert "Waiting for review" not in work  # moderators never receive it
    # the next save starts from the saved draft: not refused as stale
    again = post(client, url, {**bad, "stage": "pilot", "outcome-1-result": "4",
                               "started": "2023-04", "action": "submit",
                               "slug": url.split("/")[2],
                               "base_revision_id": _hidden(html, "base_revision_id"),
                               "base_hash": _hidden(html, "base_hash")})
    assert again.status_code == 302 and again.headers["Location"] == "/my-work"
    assert "Waiting for review" in client.get("/my-work").get_data(as_text=True)


def test_a_draft_saves_in_finnish_and_submit_answers_in_finnish(app, make_user):
    client = signed_in(app, make_user)
    client.set_cookie("lang", "fi")
    saved = post(client, "/practices/new", {"title": "Sadepuutarhat", "action": "save",
                                            "organization": FORM["organization"],
                                            "language": "fi", "body": ""})
    assert saved.status_code == 302
    url = saved.headers["Location"]
    edit = client.get(url).get_data(as_text=True)
    response = post(client, url, {"title": "Sadepuutarhat", "action": "submit",
                                  "organization": FORM["organization"], "language": "fi",
                                  "slug": url.split("/")[2],
                                  "base_revision_id": _hidden(edit, "base_revision_id"),
                                  "base_hash": _hidden(edit, "base_hash")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<a href="#f-summary">Tiivistelmä: tämä puuttuu vielä.</a>' in html
    assert '<a href="#f-themes">Teemat: tämä puuttuu vielä.</a>' in html
    assert "is required" not in html


def test_save_edit_submit_and_see_it_in_my_work(app, make_user):
    client = signed_in(app, make_user)
    saved = post(client, "/practices/new", FORM)
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/practices/rain-gardens-on-school-yards/edit"
    edit = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'value="Schools taking part"' in edit and 'value="60"' in edit
    assert "<h2 id=\"s-challenge\">Challenge</h2>" in edit  # server-side preview
    data = {**FORM, "action": "submit", "summary": FORM["summary"] + " Four schools so far.",
            "base_revision_id": _hidden(edit, "base_revision_id"),
            "base_hash": _hidden(edit, "base_hash"), "slug": "rain-gardens-on-school-yards"}
    submitted = post(client, "/practices/rain-gardens-on-school-yards/edit", data)
    assert submitted.status_code == 302 and submitted.headers["Location"] == "/my-work"
    work = client.get("/my-work").get_data(as_text=True)
    assert "Rain gardens on school yards" in work and "Waiting for review" in work
    # not public before review
    assert client.get("/practices/rain-gardens-on-school-yards").status_code == 404


def test_upload_a_document(app, make_user):
    client = signed_in(app, make_user)
    text = (b"---\ntitle: Uploaded practice\nsummary: From a file.\nlanguage: en\n"
            b"organization: Riverton (fictional example town)\ncountry: GB\n"
            b"themes: [water]\nstage: idea\nevidence: anecdotal\n---\r\n## Challenge\r\n\r\nText\r\n")
    response = client.post("/practices/new", data={
        "csrf_token": csrf_token(client, "/practices/new"), "action": "save",
        "document": (io.BytesIO(b"\xef\xbb\xbf" + text), "uploaded-practice.md")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"] == "/practices/uploaded-practice/edit"


def test_live_preview_uses_the_sanitizing_pipeline(app, make_user):
    client = signed_in(app, make_user)
    token = csrf_token(client, "/practices/new")
    response = client.post("/practices/preview", data={
        "body": "**bold** <script>alert(1)</script><img src=x onerror=alert(1)>"},
        headers={"X-CSRFToken": token})
    html = response.get_json()["html"]
    assert "<strong>bold</strong>" in html and "<script" not in html and "onerror" not in html
    assert client.post("/practices/preview", data={"body": "x"}).status_code == 400


def test_live_preview_refuses_a_text_over_the_length_limit(app, make_user):
    from kb.content import MAX_BODY_CHARS

    client = signed_in(app, make_user)
    token = csrf_token(client, "/practices/new")
    response = client.post("/practices/preview", data={"body": "[`" * MAX_BODY_CHARS},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 413
    assert response.get_json()["error"] == (
        f"The text is {2 * MAX_BODY_CHARS:,} characters long; at most {MAX_BODY_CHARS:,} "
        "are allowed.")
    ok = client.post("/practices/preview", data={"body": "[`" * (MAX_BODY_CHARS // 2)},
                     headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.get_json()["html"].count("<code>") == MAX_BODY_CHARS // 4


def test_a_stale_edit_is_refused_with_a_diff_and_the_text_kept(app, make_user):
    author = signed_in(app, make_user)
    colleague = signed_in(app, make_user, "colleague@kb.example")
    post(author, "/practices/new", FORM)
    url = "/practices/rain-gardens-on-school-yards/edit"
    page_a = author.get(url).get_data(as_text=True)
    page_b = colleague.get(url).get_data(as_text=True)
    base = {"base_revision_id": _hidden(page_a, "base_revision_id"),
            "base_hash": _hidden(page_a, "base_hash"), "slug": "rain-gardens-on-school-yards"}
    assert _hidden(page_b, "base_hash") == base["base_hash"]
    first = post(author, url, {**FORM, **base, "body": FORM["body"] + "\n\nAuthor's line."})
    assert first.status_code == 302
    second = post(colleague, url, {**FORM, **base, "body": FORM["body"] + "\n\nColleague's line."})
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "Someone else changed this practice" in html
    assert "Colleague&#39;s line." in html  # the typed text is kept in the form
    assert "<del><span class=\"visually-hidden\">current version: </span>- Author&#39;s line.</del>" in html


def _hidden(html: str, name: str) -> str:
    import re

    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_the_editor_warns_when_outcomes_do_not_support_the_evidence_claim(app, make_user):
    client = signed_in(app, make_user)
    # monitored, but no row has a period and a source: saved, and warned
    saved = post(client, "/practices/new", FORM)
    assert saved.status_code == 302
    edit = client.get(saved.headers["Location"]).get_data(as_text=True)
    warnings = edit[edit.index('class="notice warnings"'):]
    warnings = warnings[:warnings.index("</div>")]
    assert "<li>Evidence: “Monitored” needs at least one measured outcome" in warnings
    assert "shown as anecdotal" in warnings
    complete = {**FORM, "title": "Rain gardens with sources", "outcome-0-period": "2023-2024",
                "outcome-0-source": "https://example.org/rain-report"}
    saved = post(client, "/practices/new", complete)
    edit = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "shown as anecdotal" not in edit
