"""The value sets the chart is rendered with in the tests: one per feature the chart offers."""

from __future__ import annotations

from typing import Any

DATABASE_URL = "postgresql://alerts:secret@db.example:5432/app"

VALUE_SETS: dict[str, dict[str, Any]] = {
    # Only what the chart cannot default: where the database URL comes from.
    "defaults": {"database": {"url": DATABASE_URL}},
    "existing-secret": {"database": {"existingSecret": "app-database", "secretKey": "dsn"}},
    "metrics": {
        "database": {"existingSecret": "app-database"},
        "metrics": {
            "service": {"annotations": {"example.com/scrape": "true"}},
            "serviceMonitor": {"enabled": True, "interval": "15s", "labels": {"release": "prom"}},
        },
    },
    "monitoring": {
        "database": {"existingSecret": "app-database"},
        "metrics": {"serviceMonitor": {"enabled": True}},
        "monitoring": {
            "metricsSelector": 'job="alerts", cluster="eu-1"',
            "prometheusRule": {
                "enabled": True,
                "labels": {"release": "prom"},
                "alertLabels": {"team": "payments"},
                "runsFailingWindow": "30m",
                "noRunsWindow": "2d",
            },
            "grafanaDashboard": {
                "enabled": True,
                "annotations": {"grafana_folder": "Operators"},
            },
        },
        "helmTest": {"resources": {"requests": {"cpu": "20m", "memory": "32Mi"},
                                   "limits": {"cpu": "100m", "memory": "64Mi"}}},
    },
    "no-helm-test": {
        "database": {"existingSecret": "app-database"},
        "helmTest": {"enabled": False},
    },
    "network-policy": {
        "database": {"existingSecret": "app-database"},
        "networkPolicy": {
            "enabled": True,
            "metricsFrom": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    }
                }
            ],
            "databaseTo": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
            "apiServerTo": [{"ipBlock": {"cidr": "10.96.0.1/32"}}],
            "runnerExtraEgress": [
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}
            ],
        },
    },
    "web-ui": {
        "database": {"existingSecret": "app-database"},
        "ui": {
            "promptStartsPerMinute": 300,
            "actions": {"enabled": True, "tokensSecret": "alert-ui-tokens"},
            "ingress": {
                "enabled": True,
                "className": "nginx",
                "host": "alerts.example",
                "annotations": {"nginx.ingress.kubernetes.io/auth-type": "basic"},
                "tls": [{"hosts": ["alerts.example"], "secretName": "alerts-example-tls"}],
            },
        },
    },
    "no-trigger": {"database": {"url": DATABASE_URL}, "migration": {"installTrigger": False}},
    "custom-jobs": {
        "database": {"url": DATABASE_URL, "stateSchema": "alert_state"},
        "cronJobs": {"namespace": "alert-jobs"},
        "image": {"repository": "registry.example/alert-operator", "tag": "1.2.3"},
        "imagePullSecrets": [{"name": "registry-login"}],
        "jobs": {
            "concurrencyPolicy": "Replace",
            "startingDeadlineSeconds": 120,
            "backoffLimit": 0,
            "activeDeadlineSeconds": 45,
            # Large enough that Helm would print it as 1e+06 without the chart's int64 cast.
            "ttlSecondsAfterFinished": 1000000,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 5,
            "scheduleSpreadMinutes": 10,
            "resources": {
                "requests": {"cpu": "10m", "memory": "32Mi"},
                "limits": {"cpu": "1", "memory": "1Gi"},
            },
        },
        "runner": {
            "image": {"repository": "registry.example/alert-runner", "tag": "1.2.3"},
            "executor": "http",
            "http": {
                "url": "https://hooks.example/alerts",
                "timeoutSeconds": 2.5,
                "tokenSecret": {"name": "hook-token", "key": "bearer"},
            },
        },
        "operator": {
            "resyncIntervalSeconds": 45.5,
            "maxConcurrency": 4,
            "maxDeleteFraction": 0.25,
            "massDeleteMin": 3,
            "dryRun": True,
            "extraEnv": [{"name": "TZ", "value": "UTC"}],
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        },
        "logLevel": "DEBUG",
    },
}
