// Allure 3 configuration for `make report` (temporal-acceptance report runs
// `allure generate` with it). The results folder is passed on the command line.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const results = process.env.TACC_ALLURE_RESULTS ?? "reports/allure-results";
const categoriesFile = join(results, "categories.json");

export default {
  name: "Temporal + PostgreSQL acceptance",
  output: process.env.TACC_ALLURE_REPORT ?? "reports/allure-report",
  // Kept outside the results folder (which every run empties) so trends span runs.
  historyPath: process.env.TACC_ALLURE_HISTORY ?? "reports/history/history.jsonl",
  historyLimit: 30,
  // temporal-acceptance report sets this to false when the same run's report is regenerated.
  appendHistory: process.env.TACC_ALLURE_APPEND_HISTORY !== "false",
  // One table of categories for the report and ISSUES.md: temporal_acceptance/reporting/categories.py
  // writes categories.json with every run; Allure 3 reads its rules from here.
  categories: existsSync(categoriesFile) ? JSON.parse(readFileSync(categoriesFile, "utf8")) : undefined,
  plugins: {
    awesome: {
      options: {
        reportName: "Temporal + PostgreSQL acceptance",
        singleFile: process.env.TACC_ALLURE_SINGLE_FILE !== "false",
        groupBy: ["epic", "feature", "story"],
        stepTreeExpansion: "expand_failed_only",
        layout: "split",
      },
    },
  },
};
