"""Parts lists: store the downloaded SQLite file, parse it on the parser queue, keep the rows.

- `store.store_parts_list`: called by the elevation sync with the downloaded bytes.
- `parse.parse_parts_list_file`: pure reading of one file (no Django).
- `apply.parse_stored_parts_list`: the body of the `parse_parts_list` task.
- `jobs.defer_parse_jobs`: batch deferral with one waiting and one running job per parts list.
"""
