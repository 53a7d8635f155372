vcl 4.1;
# The shared HTTP cache in front of the site (Varnish 7).
#
# Public pages are the same bytes for every visitor and say how long they keep
# (Cache-Control: public, s-maxage, stale-while-revalidate, stale-if-error), so
# this file only has to keep personal traffic away from the cache, bound what
# clients can make it store, and serve stale pages while the application is down.

import std;

include "backend.vcl";

sub vcl_recv {
    # Refuse large bodies before reading them. Uploads (documents, editor
    # images, imports) go to admin; every other form is small.
    if (req.http.Content-Length ~ "^[0-9]+$") {
        if (req.url ~ "^/(admin|ckeditor5)/") {
            if (std.integer(req.http.Content-Length, 0) > 26214400) {
                return (synth(413, "Request body too large"));
            }
        } elsif (std.integer(req.http.Content-Length, 0) > 1048576) {
            return (synth(413, "Request body too large"));
        }
    } elsif (req.http.Transfer-Encoding) {
        return (synth(411, "Length required"));
    }

    if (req.method == "BAN") {
        if (!client.ip ~ purgers) {
            return (synth(405, "Not allowed"));
        }
        # Every page, not the static files (their names change with their content).
        ban("obj.http.x-url !~ ^/static/");
        return (synth(200, "Banned"));
    }

    if (req.method != "GET" && req.method != "HEAD") {
        # Read the whole body before the application sees the request, so that
        # a client sending it slowly holds a Varnish thread, not a gunicorn worker.
        if (req.http.Content-Length && !std.cache_req_body(26214400B)) {
            return (synth(413, "Request body too large"));
        }
        return (pass);
    }
    # Personal pages, shared previews of changes not yet published, and
    # anyone signed in (staff) go straight to the application.
    # (The newsletter's archive of past digests is public.)
    if ((req.url ~ "^/(admin|newsletter|cookies|ckeditor5|healthz|anymail|preview)(/|$)"
         && req.url !~ "^/newsletter/archive/")
        || req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # Public pages are the same for every visitor: their cookies play no part.
    unset req.http.Cookie;
    unset req.http.Authorization;

    call normalise_query;

    # Grace: while the application answers, keep stale pages only briefly
    # (it revalidates in the background); while it is down, serve them for
    # as long as their stale-if-error allows.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 10s;
    }
    return (hash);
}

# The cache key holds only the query parameters pages use, sorted, so that made-up
# query strings (?utm_source=…, ?gclid=…, ?x=1) cannot multiply entries.
sub normalise_query {
    if (req.url !~ "\?") {
        return;
    }
    if (req.url ~ "^/news/search/") {
        # Search reads q, page, category and year.
        set req.url = regsuball(req.url, "(?<=[?&])(?!(?:q|page|category|year)=)[^&]*(&|$)", "");
    } elsif (req.url ~ "^/sitemap") {
        set req.url = regsuball(req.url, "(?<=[?&])(?!p=)[^&]*(&|$)", "");
    } else {
        # Lists read page.
        set req.url = regsuball(req.url, "(?<=[?&])(?!page=)[^&]*(&|$)", "");
    }
    # A first page is the page without the parameter.
    set req.url = regsuball(req.url, "(?<=[?&])page=1?(&|$)", "");
    set req.url = regsub(req.url, "[?&]+$", "");
    set req.url = std.querysort(req.url);
}

sub vcl_backend_response {
    # Recorded for bans: the purge matches on the object's own address.
    set beresp.http.x-url = bereq.url;
    # Responses to made-up query strings that do not exist are not kept.
    if (beresp.status >= 400 && bereq.url ~ "\?") {
        set beresp.ttl = 0s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # stale-if-error (a day): how long a page may stand in for a missing application.
    if (beresp.http.Cache-Control ~ "stale-if-error=") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s);
    }
    # Compress text (Django compresses too; this covers anything it did not).
    if (beresp.http.Content-Type ~ "^(text/|application/(xml|json|rss\+xml|atom\+xml|javascript))") {
        set beresp.do_gzip = true;
    }
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "MISS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.x-url;
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}

sub vcl_synth {
    set resp.http.Content-Type = "text/plain; charset=utf-8";
    synthetic(resp.reason);
    return (deliver);
}
