vcl 4.1;
# The shared HTTP cache in front of the site (Varnish 7 with varnish-modules' xkey).
#
# Public pages are the same bytes for every visitor and say how long they keep
# (Cache-Control: public, s-maxage, stale-while-revalidate, stale-if-error) and
# which content they show (Surrogate-Key), so this file only has to keep
# personal traffic away from the cache, bound what clients can make it store,
# purge pages by key when the application asks, and serve stale pages while
# the application is down.
#
# backend.vcl names the application (`backend default`) and who may purge
# (`acl purgers`); site_rules.vcl is written from the application's own
# definitions by `manage.py varnish_rules` (body limits, public pages and the
# query parameters each reads).

import std;
import xkey;

include "backend.vcl";
include "site_rules.vcl";

sub vcl_recv {
    call site_body_limits;

    # PURGE / with `Surrogate-Key: key …`: soft-purge every page carrying one
    # of the keys (the application's common/frontend_cache.py sends these).
    # Visitors get the stale page while one request fetches the new one.
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.Surrogate-Key) {
            return (synth(400, "Surrogate-Key header required"));
        }
        set req.http.X-Purged = xkey.softpurge(req.http.Surrogate-Key);
        return (synth(200, "Purged"));
    }
    # BAN /: drop every page at once (after a release that changes every page),
    # not the static files, whose names change with their content.
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        ban("obj.http.x-url !~ ^/static/");
        return (synth(200, "Banned"));
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # HTTPS is what the TLS proxy in front says; anything else is plain HTTP.
    # The protocol is part of the cache key (vcl_hash), so an answer to plain
    # HTTP (a redirect to HTTPS) is never served to an HTTPS request.
    if (req.http.X-Forwarded-Proto != "https") {
        set req.http.X-Forwarded-Proto = "http";
    }
    call site_session;
    # Personal pages go straight to the application; public pages keep only
    # the query parameters they read, so that made-up query strings
    # (?utm_source=…, ?gclid=…, ?x=1) cannot multiply entries.
    call site_pages;
    if (req.url ~ "\?") {
        # A first page is the page without the parameter; an empty value is none.
        set req.url = regsuball(req.url, "(?<=[?&])(?:page=1?|[^=&]+=)(?:&|$)", "");
        set req.url = regsub(req.url, "[?&]+$", "");
        set req.url = std.querysort(req.url);
    }
    # Public pages are the same for every visitor: their cookies play no part.
    unset req.http.Cookie;
    unset req.http.Authorization;

    # Grace: while the application answers, keep stale pages only briefly
    # (it revalidates in the background); while it is down, serve them for
    # as long as their stale-if-error allows.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 10s;
    }
    return (hash);
}

sub vcl_hash {
    hash_data(req.http.X-Forwarded-Proto);
    # The built-in vcl_hash adds the address and the host.
}

sub vcl_backend_response {
    # Recorded for BAN: it matches on the object's own address.
    set beresp.http.x-url = bereq.url;
    # xkey indexes the object under the keys the application named.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # An error from a background refresh keeps the stale page: stored, it
    # would replace that page and the next visitor would get the error (the
    # first seconds of an outage, before the probe marks the application sick).
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }
    # Only pages are kept for plain HTTP: its redirects to HTTPS, and its
    # errors (a 400 for a host the site does not serve), cost the application
    # nothing and could otherwise pile up or outlive a change of settings.
    if (bereq.http.X-Forwarded-Proto != "https" && beresp.status >= 300) {
        set beresp.ttl = 0s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
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
    # Surrogate-Key stays, for a CDN in front that purges by key too.
    unset resp.http.xkey;
    unset resp.http.x-url;
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}

sub vcl_synth {
    if (req.http.X-Purged) {
        set resp.http.X-Purged = req.http.X-Purged;
    }
    set resp.http.Content-Type = "text/plain; charset=utf-8";
    synthetic(resp.reason);
    return (deliver);
}
