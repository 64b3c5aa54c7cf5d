"""Community tags: cities tag practices, with provenance, across languages.

- ``common``: shared internals (the glossary concept of a tag, aliases, scopes);
- ``applying``: tag and untag a practice for one's organization, report a misused tag;
- ``reading``: a practice's tags, the tag pages, suggestions while typing;
- ``moderating``: remove an application, rename, merge, mark synonyms.

The owner's tags are the document's `tags` (kept in ``practice_tags`` when it is
published); community tags are ``tag_applications``. Both reach the search index
through a change-log entry. docs/tags.md describes the product side.

This module imports none of its parts, so that ``kb.services.practices`` can use
``common`` without a cycle.
"""
