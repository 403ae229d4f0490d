from django.urls import path

from . import views

urlpatterns = [
    path("", views.registrant_list, name="registrant_list"),
    path("new/", views.registrant_create, name="registrant_create"),
    path("import/", views.registrant_import, name="registrant_import"),
    path("export.csv", views.registrant_export, name="registrant_export"),
    path("<int:pk>/", views.registrant_detail, name="registrant_detail"),
    path("<int:pk>/edit/", views.registrant_update, name="registrant_update"),
]
