-- The DuckLake catalog's database, next to Dagster's (compose.yaml mounts this into the Postgres image's init folder).
CREATE DATABASE lake OWNER hubsignal;
