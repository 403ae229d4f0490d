"""Pagination on every list. Page-number pagination for small reference lists; large lists
(registrants, hits, notices) use ``BoundedCursorPagination`` so no page pays a full COUNT(*)."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class BoundedCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"
