@phase6
Feature: Compatibility validation
  As QA and devops choosing the versions of a deployment,
  we need the deploy command to say which Temporal and PostgreSQL pairs are supported,
  untested or unsupported — and why, and what to use instead — and we need that matrix
  proven on real PostgreSQL servers, so nobody deploys a pair that cannot work.

  Gate (Phase 6 checklist): all compatibility cases executed; warnings validated; matrix
  updated if needed; recommendations documented (docs/COMPATIBILITY.md).

  Rule: The deploy command says what a version pair means before it starts anything

    @P1
    Scenario Outline: <case>: Temporal <temporal> on PostgreSQL <postgres>
      When a deployment of Temporal "<temporal>" on PostgreSQL "<postgres>" is requested
      Then the deploy command <outcome>
      And the user sees "<message>"
      And the advice is "<advice>"

      Examples: Pairs in the matrix
        | case                      | temporal | postgres | outcome                    | message                                                                        | advice                                           |
        | supported                 | 1.30.8   | 16       | proceeds quietly           | Temporal 1.30.8 on PostgreSQL 16 is supported                                  | none                                             |
        | supported but end of life | 1.30.8   | 13       | proceeds quietly           | PostgreSQL 13 is end of life since 2025-11-13                                  | none                                             |
        | supported by observation  | 1.29.2   | 18       | proceeds quietly           | Temporal 1.29.2 on PostgreSQL 18 is supported — this suite deployed            | none                                             |
        | untested Temporal line    | 1.33.0   | 16       | proceeds with a warning    | Temporal 1.33 is not in the compatibility matrix                               | use Temporal 1.32.2 with PostgreSQL 16           |
        | unsupported end of life   | 1.30.8   | 12       | refuses with exit status 2 | Temporal 1.30.8 on PostgreSQL 12 is unsupported — PostgreSQL 12 is end of life | use PostgreSQL 16 (supported with Temporal 1.30) |

      Examples: Malformed versions
        | case                     | temporal | postgres | outcome                    | message                                                     | advice                         |
        | PostgreSQL not a number  | 1.30.8   | sixteen  | refuses with exit status 2 | PostgreSQL major version 'sixteen' is not a number          | give a major between 12 and 18 |
        | PostgreSQL minor release | 1.30.8   | 16.4     | refuses with exit status 2 | '16.4' names a minor release, not a major                   | give the major only, e.g. 16   |
        | PostgreSQL out of range  | 1.30.8   | 9.6      | refuses with exit status 2 | outside the range the suite can provision (12–18)           | give a major between 12 and 18 |
        | Temporal without a patch | 1.30     | 16       | refuses with exit status 2 | Temporal server version '1.30' is not of the form X.Y.Z     | give a release such as 1.32.2  |

    @P1
    Scenario Outline: Forced: <case>: Temporal <temporal> on PostgreSQL <postgres>
      When a deployment of Temporal "<temporal>" on PostgreSQL "<postgres>" is requested with the version check forced
      Then the deploy command <outcome>
      And the user sees "<message>"
      And the advice is "<advice>"

      Examples: The version check forced
        | case                 | temporal | postgres | outcome                    | message                                                    | advice                                           |
        | an unsupported pair  | 1.31.2   | 12       | proceeds with a warning    | deploying anyway because --force-version was given         | use PostgreSQL 16 (supported with Temporal 1.31) |
        | not a version at all | latest   | 16       | refuses with exit status 2 | Temporal server version 'latest' is not of the form X.Y.Z  | give a release such as 1.32.2                    |

    @P1
    Scenario: A refused pair creates and starts nothing
      When a real deployment of Temporal "1.30.8" on PostgreSQL "12" is requested
      Then the deploy command refuses with exit status 2
      And nothing was created or started for that deployment

  Rule: A deployment's release changes one minor line at a time, schema first, never backwards

    @P1
    Scenario Outline: <case>: Temporal <requested> for data written by Temporal <written>
      Given a deployment whose data was written by Temporal "<written>"
      When Temporal "<requested>" is requested for it with the <command> command
      Then the deploy command <outcome>
      And the user sees "<message>"
      And the advice is "<advice>"

      Examples: Requests the data can take
        | case                        | written | requested | command | outcome          | message                                                      | advice |
        | the next line, upgraded     | 1.30.8  | 1.31.2    | upgrade | proceeds quietly | update both schemas with Temporal 1.31.2's temporal-sql-tool | none   |
        | a newer patch of its line   | 1.30.8  | 1.30.9    | deploy  | proceeds quietly | would deploy Temporal 1.30.9                                 | none   |

      Examples: Requests refused with the path to take instead
        | case                        | written | requested | command | outcome                    | message                                               | advice                                                      |
        | the next line, deployed     | 1.30.8  | 1.31.2    | deploy  | refuses with exit status 2 | 1.31.2 is the next release line and needs both schemas | upgrade it: `temporal-acceptance upgrade --to 1.31.2`       |
        | a skipped line              | 1.30.8  | 1.32.2    | deploy  | refuses with exit status 2 | 1.30.8 → 1.32.2 skips the 1.31 release line           | take the path 1.30.8 → 1.31.2 → 1.32.2                      |
        | two skipped lines           | 1.29.2  | 1.32.2    | upgrade | refuses with exit status 2 | skips the 1.30, 1.31 release lines                    | take the path 1.29.2 → 1.30.8 → 1.31.2 → 1.32.2             |
        | a downgrade, deployed       | 1.31.2  | 1.30.8    | deploy  | refuses with exit status 2 | a downgrade is refused                                | temporal-acceptance restore --from                          |
        | a downgrade, upgraded       | 1.31.2  | 1.30.8    | upgrade | refuses with exit status 2 | a downgrade is refused                                | temporal-acceptance restore --from                          |

  Rule: The running deployment's versions are detected live and its decision is recorded

    @P1
    Scenario: The live servers run the requested versions and the decision is in the report
      Given the Temporal stack is deployed
      When the versions are detected from the live servers
      Then they are the versions the deployment was asked for
      And the compatibility decision for them is recorded with the deployment

  Rule: Every PostgreSQL major of the matrix is proven on a real server

    @P1 @matrix @slow
    Scenario Outline: Temporal deploys on PostgreSQL <major> and runs the test workflow
      Given a fresh native stack on PostgreSQL <major> for the matrix
      Then the live PostgreSQL server reports major version <major>
      And each Temporal database is at the schema version this Temporal release expects
      And the visibility database has what advanced visibility needs
      And the 5-stage test workflow completes on that stack

      Examples: PostgreSQL majors
        | major |
        | 12    |
        | 13    |
        | 14    |
        | 15    |
        | 16    |
        | 17    |
        | 18    |
