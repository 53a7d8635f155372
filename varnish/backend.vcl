# The application behind the cache: docker-compose.yml's `web` service.
# Tests and `make run-cached` put their own backend.vcl first on vcl_path.
backend default {
    .host = "web";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 10s;
    # A cheap page that touches neither the database nor Redis: "healthy"
    # means the application answers, so grace covers only its outages.
    .probe = {
        .url = "/robots.txt";
        .interval = 2s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
        .initial = 2;  # healthy from the start
    }
}

# Who may purge: the application's containers on compose's private network.
acl purgers {
    "127.0.0.1";
    "::1";
    "10.0.0.0"/8;
    "172.16.0.0"/12;
    "192.168.0.0"/16;
}
