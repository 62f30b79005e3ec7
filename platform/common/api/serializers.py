"""The job object of API.md, for every background job's API: {id, status, progress: {done, total},
error, created_at, started_at, finished_at}. ``common.jobs.job_payload`` builds the same dict by hand
for APIs that assemble their answer without a serializer."""
from rest_framework import serializers


class JobProgressOutput(serializers.Serializer):
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")


class JobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    progress = JobProgressOutput(source="*")
    error = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_error(self, job) -> str | None:
        return job.error or None
