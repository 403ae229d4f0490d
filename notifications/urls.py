from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_inbox, name="notification_inbox"),
    path("<int:pk>/", views.notification_detail, name="notification_detail"),
    path("<int:pk>/acknowledge/", views.notification_acknowledge, name="notification_acknowledge"),
    path("<int:pk>/retry/", views.notification_retry, name="notification_retry"),
    path("outbox/", views.notification_outbox, name="notification_outbox"),
    path("routing/", views.routingrule_matrix, name="routingrule_matrix"),
    path("routing/preview/", views.routingrule_preview, name="routingrule_preview"),
    path("routing/<str:event_type>/<str:fugitive>/", views.routingrule_edit, name="routingrule_edit"),
    path("registrants/<int:pk>/disclosures/", views.disclosure_list, name="disclosure_list"),
    path("registrants/<int:pk>/disclosures.csv", views.disclosure_export, name="disclosure_export"),
]
