"""`salesops dashboard`: a Streamlit app on the current publication (HOME/published).

- queries.py: what each page shows, as read-only queries of one publication (no Streamlit);
- pages.py: the pages (Sales, People, Forecast, Data health; Finance with --restricted);
- app.py: the Streamlit script (navigation and the publication of this page view);
- serve.py: starts `streamlit run app.py` for a home and port.
"""
