"""Addresses of a reviewed object's admin pages, from its model's options."""

from django.urls import reverse


def admin_url(opts, view, object_id, *args, current_app=None):
    """/admin/<app>/<model>/<id>/<view>/: "change", "history", "review", "preview"…"""
    name = f"admin:{opts.app_label}_{opts.model_name}_{view}"
    return reverse(name, args=[object_id, *args], current_app=current_app)
