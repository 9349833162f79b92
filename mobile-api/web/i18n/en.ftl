# The pages' texts in English. Every text here has its Dutch twin in nl-BE.ftl.

## Every page
language-name = English
language-switch = Language
skip-to-content = Skip to content

## The API reference (/docs)
docs-title = API reference
docs-intro = Every route of the Smartville engine, with what it asks and answers. The same document for programs:
docs-contents = Contents
docs-schemas = Schemas
docs-auth-bearer = Sign-in: an access token (Authorization: Bearer …).
docs-auth-api-key = Sign-in: a data source's API key (Authorization: Bearer svk_…).
docs-auth-none = No sign-in.
docs-parameters = Parameters
docs-request-body = Request body
docs-responses = Responses
docs-name = Name
docs-in = In
docs-type = Type
docs-description = Description
docs-status = Status
docs-body = Body
docs-field = Field
docs-required = required
