"""Runs the Eclipse Paho MQTT 3.1.1 interoperability client test (interoperability/client_test.py of a
checkout of eclipse/paho.mqtt.testing, never vendored here) against Gatehouse.

client_test.py connects without credentials and reads host/port from module globals its __main__
block sets; Gatehouse requires authentication. So this wrapper imports it, sets those globals, makes
every connect() default to the given username/password, and runs its unittest suite.

Environment: PAHO_DIR, PAHO_HOST, PAHO_PORT, PAHO_USERNAME, PAHO_PASSWORD.
Prints `PAHO FAILED: name,name` (the tests that failed or erred) and one line
`PAHO SCORE: run=N failures=N errors=N skipped=N passed=N` at the end.
"""
import os
import sys
import unittest

interop = os.path.join(os.environ["PAHO_DIR"], "interoperability")
sys.path.insert(0, interop)
os.chdir(interop)

import mqtt.clients.V311 as mqtt_client  # noqa: E402

username = os.environ["PAHO_USERNAME"]
password = os.environ["PAHO_PASSWORD"]
original_connect = mqtt_client.Client.connect


def connect_with_credentials(self, *args, **kwargs):
    if kwargs.get("username") is None:
        kwargs["username"] = username
    if kwargs.get("password") is None:
        kwargs["password"] = password.encode("utf-8")
    return original_connect(self, *args, **kwargs)


mqtt_client.Client.connect = connect_with_credentials

import client_test  # noqa: E402

client_test.host = os.environ.get("PAHO_HOST", "127.0.0.1")
client_test.port = int(os.environ["PAHO_PORT"])
client_test.topics = ("TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA")
client_test.wildtopics = ("TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#")
client_test.nosubscribe_topics = ("test/nosubscribe",)

print("hostname", client_test.host, "port", client_test.port, "username", username, flush=True)
suite = unittest.defaultTestLoader.loadTestsFromModule(client_test)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
run = result.testsRun
failures = len(result.failures)
errors = len(result.errors)
skipped = len(result.skipped)
failed = sorted(test.id().split(".")[-1] for test, _ in result.failures + result.errors)
print(f"PAHO FAILED: {','.join(failed)}", flush=True)
print(
    f"PAHO SCORE: run={run} failures={failures} errors={errors} skipped={skipped} "
    f"passed={max(0, run - failures - errors - skipped)}",
    flush=True,
)
