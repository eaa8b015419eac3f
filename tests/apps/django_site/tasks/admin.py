import os

from django.contrib import admin

from .models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "done", "created")
    fields = ("title", "done")

    def save_model(self, request, obj, form, change):
        # The broken variants: the backend drops a save and still says it worked.
        dropped = os.environ.get("CREW_DROPS", "")
        if (change and dropped == "change") or (not change and dropped == "add"):
            return
        super().save_model(request, obj, form, change)
