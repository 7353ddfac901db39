"""Runs tests of the Eclipse Paho MQTT 5 interoperability client test (interoperability/client_test5.py of a
checkout of eclipse/paho.mqtt.testing, never vendored here) against one broker (ADR 0105).

Like run_client_test.py: client_test5.py connects without credentials and reads host/port from module
globals its __main__ block sets, so this wrapper imports it, sets those globals, makes every connect()
default to the given username/password, and runs the tests named in PAHO_TESTS (comma-separated; all
when empty). scripts/paho-interop-v5.js starts it once per test, with a timeout, so that a test that
hangs (test_will_delay on aedes 2.0.0-beta.1) does not stop the run.

Environment: PAHO_DIR, PAHO_HOST, PAHO_PORT, PAHO_USERNAME, PAHO_PASSWORD (both optional), PAHO_TESTS.
Prints `PAHO5 RESULT: <test> pass|fail|error` per test, then
`PAHO5 SCORE: run=N failures=N errors=N skipped=N passed=N`.
"""
import os
import sys
import unittest

interop = os.path.join(os.environ["PAHO_DIR"], "interoperability")
sys.path.insert(0, interop)
os.chdir(interop)

import mqtt.clients.V5 as mqtt_client  # noqa: E402

username = os.environ.get("PAHO_USERNAME") or None
password = os.environ.get("PAHO_PASSWORD") or None
original_connect = mqtt_client.Client.connect


def connect_with_credentials(self, *args, **kwargs):
    if kwargs.get("username") is None and username is not None:
        kwargs["username"] = username
    if kwargs.get("password") is None and password is not None:
        kwargs["password"] = password.encode("utf-8")
    return original_connect(self, *args, **kwargs)


mqtt_client.Client.connect = connect_with_credentials

import client_test5  # noqa: E402

client_test5.host = os.environ.get("PAHO_HOST", "127.0.0.1")
client_test5.port = int(os.environ["PAHO_PORT"])
# set by client_test5.py's __main__ block (read by test_shared_subscriptions); setUpClass sets the topics
client_test5.topic_prefix = "client_test5/"

names = [n for n in os.environ.get("PAHO_TESTS", "").split(",") if n]
loader = unittest.defaultTestLoader
if names:
    suite = unittest.TestSuite(loader.loadTestsFromName(f"Test.{n}", client_test5) for n in names)
else:
    suite = loader.loadTestsFromModule(client_test5)

print("hostname", client_test5.host, "port", client_test5.port, "tests", names or "all", flush=True)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
failed = {test.id().split(".")[-1] for test, _ in result.failures}
errored = {test.id().split(".")[-1] for test, _ in result.errors}
# an error in setUpClass (its cleanup() connects) is reported once, for the class, not per test
class_error = any("setUpClass" in test.id() for test, _ in result.errors)
for test in names or loader.getTestCaseNames(client_test5.Test):
    status = "fail" if test in failed else "error" if test in errored or class_error else "pass"
    print(f"PAHO5 RESULT: {test} {status}", flush=True)
run = result.testsRun
print(
    f"PAHO5 SCORE: run={run} failures={len(result.failures)} errors={len(result.errors)} "
    f"skipped={len(result.skipped)} passed={max(0, run - len(result.failures) - len(result.errors) - len(result.skipped))}",
    flush=True,
)
