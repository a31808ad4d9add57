@phase3
Feature: Workflow execution
  As the QA engineer signing off the deployment for the teams who will build on it,
  I need the sprint's test workflow to run end to end on a real worker,
  so that we know Temporal on PostgreSQL executes, persists and reports real work.

  Gate (Phase 3 checklist): worker connects; all activities execute; workflow completes;
  PostgreSQL records verified; no errors in logs.
  Gate (Phase 1 checklist): all activities implemented; worker configuration complete;
  execution script works.

  Background:
    Given the Temporal stack is deployed
    And the test worker has been started

  Rule: The worker connects and registers

    @phase1 @P0
    Scenario: The worker polls its task queue for workflow and activity tasks
      Then the task queue shows the test worker polling for:
        | task type |
        | workflow  |
        | activity  |

    @phase1 @P1
    Scenario: The worker registers the test workflows and every activity
      When the test workflow runs to completion with a 1 second timer
      Then Temporal shows the test worker polling for and running each of these:
        | kind     | name                    |
        | workflow | TestWorkflow            |
        | workflow | ChildTestWorkflow       |
        | activity | test_activity_execution |
        | activity | test_database_operation |

  Rule: All activities execute on the worker

    @P0
    Scenario: Both activities complete on the test worker and the database round trip is stored
      When the test workflow runs to completion with a 1 second timer
      Then these activities completed on the test worker:
        | activity                |
        | test_activity_execution |
        | test_database_operation |
      And the database activity's row is in the application database
      And the database activity ran as the application's own database role

  Rule: The workflow completes all five stages in order

    @P0
    Scenario: The five stages complete in order and the result reports each of them
      When the test workflow runs to completion with a 5 second timer
      Then its history shows these stages in order:
        | stage              |
        | activity execution |
        | state persistence  |
        | child workflow     |
        | signal handling    |
        | completion         |
      And the timer fired after its full duration, and at most 2 seconds late
      And the result reports every stage with what it produced

    @P1
    Scenario: The status query answers accurately at every stage
      When the test workflow runs to completion with a 1 second timer
      Then the status query answered at each point:
        | point                  | stage     | gathered                                      |
        | during the timer       | timer     | activity, database row                        |
        | waiting for the signal | signal    | activity, database row, timer, child          |
        | after completion       | completed | activity, database row, timer, child, signal  |

    @phase1 @P1
    Scenario: The execution script runs the test workflow and prints its result
      When the execution script runs the test workflow with a 1 second timer
      Then the script printed the completed workflow's result

  Rule: Workflow state is stored in PostgreSQL

    @P0
    Scenario: The completed workflow's execution, history and visibility are in PostgreSQL
      When the test workflow runs to completion with a 1 second timer
      Then Temporal's database holds the workflow's execution and current execution
      And the history stored in PostgreSQL matches the history Temporal serves
      And the visibility database lists the workflow as completed within 10 seconds

  Rule: No errors in the logs

    @P1
    Scenario: The server, database and worker log no errors while the workflow runs
      When the test workflow runs to completion with a 1 second timer
      Then the server, database and worker logs show no errors during the scenario
