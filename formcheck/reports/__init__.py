"""Reports a therapist reads: self-contained HTML pages with inline SVG charts.

    session_page.save_session_page(out_dir, report, analysis)     # report.html beside report.json
    progress_run.run_progress(ProgressRequest(out_dir=..., plan=...))   # progress.json + progress.html

    html: escaping, trusted markup, the page shell        styles: the stylesheet (screen and A4 print)
    charts: matplotlib charts as inline SVG (Okabe-Ito)    browser: headless Chromium, for tests and screenshots
    session_data -> session_page (+ thumbnails)            progress_data (+ progress_clinical, clinical) -> progress_page

Every page is one file that opens offline: styles inline, charts as inline SVG, thumbnails as data: URIs,
no script. Every text that comes from a spec, a plan, the history or a file name is HTML-escaped.
"""
