from django.urls import path

from .views import cases as case_views
from .views import dod
from .views import foreign as foreign_views
from .views import hits as hit_views
from .views import passport as passport_views
from .views import travel as travel_views

urlpatterns: list = [
    path("hits/", hit_views.hit_list, name="hit_list"),
    path("hits/queue/", hit_views.hit_queue, name="hit_queue"),
    path("hits/new/", hit_views.hit_create, name="hit_create"),
    path("hits/import/", hit_views.hit_import, name="hit_import"),
    path("hits/<int:pk>/", hit_views.hit_detail, name="hit_detail"),
    path("hits/<int:pk>/decide/", hit_views.hit_decide, name="hit_decide"),
    path("hits/<int:pk>/rematch/", hit_views.hit_rematch, name="hit_rematch"),
    path("", case_views.case_list, name="case_list"),
    path("bulk-assign/", case_views.case_bulk_assign, name="case_bulk_assign"),
    path("<int:pk>/", case_views.case_detail, name="case_detail"),
    path("<int:pk>/transition/", case_views.case_transition, name="case_transition"),
    path("<int:pk>/assign/", case_views.case_assign, name="case_assign"),
    path("<int:pk>/checklist/", case_views.case_checklist, name="case_checklist"),
    path("<int:pk>/notes/", case_views.case_note_add, name="case_note_add"),
    path("<int:pk>/attachments/", case_views.case_attachment_add, name="case_attachment_add"),
    path("<int:pk>/attachments/<int:attachment_pk>/", case_views.case_attachment, name="case_attachment"),
    path("travel-notices/", travel_views.travelnotice_list, name="travelnotice_list"),
    path("travel-notices/new/", travel_views.travelnotice_create, name="travelnotice_create"),
    path("travel-notices/<int:pk>/", travel_views.travelnotice_detail, name="travelnotice_detail"),
    path("travel-notices/<int:pk>/edit/", travel_views.travelnotice_update, name="travelnotice_update"),
    path("travel-notices/<int:pk>/amend/", travel_views.travelnotice_amend, name="travelnotice_amend"),
    path("travel-notices/<int:pk>/submit/", travel_views.travelnotice_submit, name="travelnotice_submit"),
    path("travel-notices/<int:pk>/cancel/", travel_views.travelnotice_cancel, name="travelnotice_cancel"),
    path("travel-notices/<int:pk>/return/", travel_views.travelnotice_return, name="travelnotice_return"),
]

# USNCB: foreign notices, International Megan's Law records, inbound notices; passport actions.
urlpatterns += [
    path("foreign-notices/", foreign_views.foreignnotice_list, name="foreignnotice_list"),
    path("foreign-notices/<int:pk>/", foreign_views.foreignnotice_detail, name="foreignnotice_detail"),
    path("foreign-notices/<int:pk>/review/", foreign_views.foreignnotice_review, name="foreignnotice_review"),
    path("foreign-notices/<int:pk>/reopen/", foreign_views.foreignnotice_reopen, name="foreignnotice_reopen"),
    path("foreign-notices/<int:pk>/send/", foreign_views.foreignnotice_send, name="foreignnotice_send"),
    path(
        "foreign-notices/<int:pk>/acknowledge/",
        foreign_views.foreignnotice_acknowledge,
        name="foreignnotice_acknowledge",
    ),
    path("foreign-notices/<int:pk>/correct/", foreign_views.foreignnotice_correct, name="foreignnotice_correct"),
    path("foreign-notices/<int:pk>/pdf/", foreign_views.foreignnotice_pdf, name="foreignnotice_pdf"),
    path("foreign-notices/<int:pk>/complaints/", foreign_views.complaint_create, name="foreignnotice_complaint"),
    path("complaints/<int:pk>/transition/", foreign_views.complaint_transition, name="complaint_transition"),
    path("<int:case_pk>/foreign-notices/", foreign_views.foreignnotice_prepare, name="foreignnotice_prepare"),
    path("<int:case_pk>/no-notice/", foreign_views.foreignnotice_decline, name="foreignnotice_decline"),
    path("iml-report/", foreign_views.iml_report, name="iml_report"),
    path("inbound-notices/", foreign_views.inboundnotice_list, name="inboundnotice_list"),
    path("inbound-notices/new/", foreign_views.inboundnotice_create, name="inboundnotice_create"),
    path("inbound-notices/<int:pk>/", foreign_views.inboundnotice_detail, name="inboundnotice_detail"),
    path("passport-actions/", passport_views.passportaction_list, name="passportaction_list"),
    path("passport-actions/new/", passport_views.passportaction_create, name="passportaction_create"),
    path("passport-actions/<int:pk>/", passport_views.passportaction_detail, name="passportaction_detail"),
    path(
        "passport-actions/<int:pk>/transition/",
        passport_views.passportaction_transition,
        name="passportaction_transition",
    ),
    path(
        "passport-actions/<int:pk>/documents/",
        passport_views.passportaction_document_add,
        name="passportaction_document_add",
    ),
    path(
        "passport-actions/<int:pk>/documents/<int:document_pk>/",
        passport_views.passportaction_document,
        name="passportaction_document",
    ),
]

urlpatterns += [
    # DoD installation monitoring and UCMJ separation notices
    path("monitoring/", dod.monitoring_list, name="monitoring_list"),
    path("monitoring/new/", dod.monitoring_create, name="monitoring_create"),
    path("monitoring/<int:pk>/", dod.monitoring_detail, name="monitoring_detail"),
    path("monitoring/<int:pk>/plan/", dod.monitoring_update, name="monitoring_update"),
    path("monitoring/<int:pk>/checks/", dod.monitoring_check, name="monitoring_check"),
    path("monitoring/<int:pk>/end/", dod.monitoring_end, name="monitoring_end"),
    path("separations/", dod.separation_list, name="separation_list"),
    path("separations/new/", dod.separation_create, name="separation_create"),
    path("separations/<int:pk>/", dod.separation_detail, name="separation_detail"),
    path("separations/<int:pk>/acknowledge/", dod.separation_acknowledge, name="separation_acknowledge"),
]
