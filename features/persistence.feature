@phase4 @disruptive
Feature: Persistence through restarts and crashes
  As the devops engineer who will run this deployment, and the QA engineer signing it off,
  I need proof that stopping, restarting or crashing any part of it loses nothing — no
  history, no row, no workflow in flight — and that it is back at work quickly,
  so that the teams can rely on Temporal's durable execution on this PostgreSQL.

  Gate (Phase 4 checklist): services restart cleanly; workflow history intact; new workflows
  execute; no data loss; schema unchanged; performance acceptable.

  Every scenario disrupts the running deployment and leaves it healthy again, even when it
  fails, so they run in any order. After each disruption the membership rings must hold the
  hosts the topology expects (none stale) and every history shard must be owned again; the
  connections PostgreSQL holds are sampled throughout and their peak per database and user
  must stay under the table's limit. Targets that cannot be disrupted skip them, saying why.
  The cluster's recovery is watched from the moment the disruption ends, beside the other
  checks, and judged where the scenario names it; its bound counts from the disruption's start.
  Recovery times are measured from the start of each disruption and attached to the results;
  the limits in the tables hold for the native and the compose deployment with room to spare
  (figures in the persistence guide), so a real regression fails and a busy machine does not.

  Background:
    Given the Temporal stack is deployed
    And the test worker has been started
    And PostgreSQL's connections are being sampled

  Rule: Services restart cleanly, with history, rows and schema intact, and new workflows run

    Scenario Outline: Nothing stored changes when <what> is restarted
      Given a completed workflow and a record of what PostgreSQL stores
      When <disruption>
      Then its history is unchanged
      And Temporal's rows are unchanged
      And the application's rows are unchanged
      And both schemas are unchanged
      And a new workflow runs to completion
      And the server reported every role healthy, its rings and shards whole, within <whole within> seconds
      And the stack was healthy again within <healthy within> seconds
      And no database and user held <connections> or more connections
      And no unexpected errors were logged

      @P0
      Examples: The services that hold the data
        | what            | disruption                                         | healthy within | whole within | connections |
        | Temporal        | the Temporal server is restarted                   | 10             | 30           | 100         |
        | PostgreSQL      | PostgreSQL is restarted                            | 10             | 30           | 100         |
        | the whole stack | the whole stack is taken down and brought up again | 20             | 30           | 100         |

      @P1
      Examples: The user interface
        | what   | disruption                   | healthy within | whole within | connections |
        | the UI | the Temporal UI is restarted | 10             | 30           | 100         |

  Rule: Workflows in flight survive restarts and crashes, and are back at work quickly

    @P0
    Scenario Outline: A workflow in its timer and one waiting for its signal survive when <disruption>
      Given a workflow sleeping in its 3 second timer and another waiting for its signal
      When <disruption>
      And the waiting workflow is sent its signal
      Then the stack was healthy again within <healthy within> seconds
      And a workflow moved on within <progress within> seconds
      And both workflows complete with their full histories
      And the server reported every role healthy, its rings and shards whole, within <whole within> seconds
      And no database and user held 100 or more connections

      Examples:
        | disruption                                                | healthy within | whole within | progress within |
        | the Temporal server is restarted                          | 10             | 30           | 10              |
        | PostgreSQL is restarted                                   | 10             | 30           | 10              |
        | the Temporal server is killed and started again           | 10             | 30           | 10              |
        | PostgreSQL is killed and started again                    | 10             | 30           | 10              |
        | the Temporal server is restarted while PostgreSQL is down | 30             | 45           | 30              |

    @P1
    Scenario: An activity cut off by a worker crash is retried on a new worker process
      Given a workflow whose first activity is running on the test worker
      When the test worker is killed and a new worker process is started
      Then the activity was retried on the new worker process
      And the workflow completes with its full history

  Rule: No workflow is lost or duplicated when the server restarts under load

    @P1 @inflight @slow
    Scenario: 50 workflows in flight across a Temporal restart all complete, each exactly once
      Given 50 workflows are in flight
      When the Temporal server is restarted
      Then all of them complete within 60 seconds
      And Temporal lists each of them exactly once, completed
      And the visibility database lists each of them exactly once, completed
      And each of them completed every activity once, with no duplicate execution
      And no database and user held 100 or more connections
