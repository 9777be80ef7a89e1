"""The Streamlit page for engineers: browse, search, edit, approve, add, and try the reward (`telerubric ui`).

`app.py` is the entry Streamlit runs; each view is one module and calls the library, never SQL or Milvus itself.
"""
