@phase3
Feature: Workflow execution at the deployment's limits
  As the developers who will build on this deployment,
  we need custom search attributes of every type to work on its SQL visibility store, and
  to know its limits — how many attributes of a type it has room for, how large a payload it
  carries — and that going over them is refused cleanly without harming the server,
  so that nobody finds them in production.

  Gate (Phase 3 checklist, at the limits): workflows run with custom search attributes and
  with payloads near the size limit; errors at the limits are Temporal's own and clear.
  The search-attribute gates change the deployment (namespaces of the suite's own, kept for
  the next run): an external deployment runs them only when allowed (allow_changes).

  Background:
    Given the Temporal stack is deployed

  Rule: Custom search attributes of every type work, up to the SQL store's limit per type

    @P1
    Scenario: One attribute of each type is set on a workflow and found by a list query
      Given a namespace of the suite's own for custom search attributes of every type
      When one search attribute of each type is created in it:
        | type        |
        | Bool        |
        | Datetime    |
        | Double      |
        | Int         |
        | Keyword     |
        | Text        |
        | KeywordList |
      Then a workflow started with all of them set is found by a list query filtering on them

    @P2
    Scenario: One attribute more than the store has room for is refused with Temporal's own error
      Given a namespace of the suite's own for reaching the search attribute limit
      When as many Text search attributes are created as the visibility store has room for
      Then one more is refused with Temporal's own error naming the limit

  Rule: Payloads up to the configured size limit are carried, larger ones refused cleanly

    @P1
    Scenario: A payload just under the limit completes; one over it is rejected cleanly
      Given the test worker has been started
      When the test workflow for payloads runs with an input 64 KiB under the configured limit
      Then it completes and returns the size of its input
      When the test workflow for payloads runs with an input 64 KiB over the configured limit
      Then the start is refused with Temporal's own size error
      And the server still reports every role healthy and serving
