"""The Temporal UI as a person sees it: a real Chromium driven by Playwright (browser.py),
the UI's addresses (urls.py), what its pages show (pages.py reads them, views.py compares
them with what Temporal's API says) and workflows in chosen states (states.py)."""
