@ui @phase3
Feature: Temporal UI in a browser
  As the QA engineer who signs off the deployment, and for the developers and operators who
  will watch their workflows in the Temporal UI,
  I need the UI to load in a real browser and to show each workflow's history and state
  exactly as Temporal recorded them,
  so that what people see when they investigate a workflow can be trusted.

  Gate (technical success criteria): the Temporal UI is accessible, workflow history is
  visible, the event timeline is accurate.
  Gate (Phase 3 checklist): UI shows complete history.
  Gate (Phase 2 checklist): Temporal UI accessible.

  Rule: The Temporal UI is accessible

    @phase2 @P1
    Scenario: The UI loads in a browser and shows the default namespace
      When the Temporal UI's home page is opened in a browser
      Then the page shows the "default" namespace

  Rule: The workflow history is visible and accurate

    @P1
    Scenario: The workflow list shows the completed test workflow
      Given the test workflow has completed on the test worker
      When the workflow list is searched for it in a browser
      Then the list shows its run with the status "Completed"

    @P1
    Scenario: The history page shows every event in the order Temporal recorded them
      Given the test workflow has completed on the test worker
      When its event history is opened in a browser
      Then the page shows as many events as Temporal's history, in the same order

    @P2
    Scenario: The child workflow is reachable from its parent's page
      Given the test workflow has completed on the test worker
      When its event history is opened in a browser
      And the link to its child workflow is followed
      Then the child workflow's page shows it completed and links back to its parent

  Rule: The UI shows a workflow's true state, not only the happy path

    @P1
    Scenario Outline: A <state> workflow shows as <status> in the list and on its page
      Given a test workflow that is <state>
      When the workflow list is searched for it in a browser
      Then the list shows its run with the status "<status>"
      And its page, opened from the list, shows the status "<status>" with the reason Temporal recorded

      Examples:
        | state      | status     |
        | running    | Running    |
        | failed     | Failed     |
        | terminated | Terminated |
        | timed out  | Timed out  |
