"""The daemon's lifecycle as systemd sees it: READY=1, SIGHUP reloads (and
refuses a broken file without dying), SIGTERM stops cleanly."""
import signal
import socket
import subprocess
import time
import unittest

from harness import (BINDING_REQUEST, BINDING_SUCCESS, TURNPIKE, Turnpike, free_port,
                     parse_attributes, relay_config, stun_message, tcp_read_stun, udp_exchange)


def binding_works(port, host="127.0.0.1"):
    answer, _ = udp_exchange(host, port, stun_message(BINDING_REQUEST))
    return parse_attributes(answer)[0] == BINDING_SUCCESS


def wait_for_log(server, text, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in server.output():
            return True
        time.sleep(0.05)
    return False


class Lifecycle(unittest.TestCase):
    def test_ready_reload_and_terminate(self):
        port = free_port()
        server = Turnpike(relay_config(port).replace("log-level = debug", "log-level = info"))
        server.start()
        try:
            self.assertTrue(binding_works(port))

            # A good change applies at once; a listen change waits for restart.
            other = free_port()
            server.write_config(relay_config(other))
            server.signal(signal.SIGHUP)
            server.wait_notify("RELOADING=1")
            server.wait_notify("READY=1")
            self.assertTrue(wait_for_log(server, "reload: applied"))
            self.assertTrue(wait_for_log(server, "[relay] listen changed"))
            self.assertTrue(binding_works(port), "still listening on the old address")

            # A broken file is refused and the daemon keeps running on the old one.
            server.write_config("[relay]\nthreads = many\n")
            server.signal(signal.SIGHUP)
            server.wait_notify("READY=1")
            self.assertTrue(wait_for_log(server, "reload refused"))
            self.assertIn("[relay] threads", server.output())
            self.assertIsNone(server.proc.poll())
            self.assertTrue(binding_works(port))

            started = time.monotonic()
            server.signal(signal.SIGTERM)
            server.wait_notify("STOPPING=1")
            self.assertEqual(server.proc.wait(5), 0)
            self.assertLess(time.monotonic() - started, 5)
            self.assertIn("stopped", server.output())
        finally:
            server.stop()
            server.dir.cleanup()

    def test_sigusr1_logs_counters_summed_over_workers(self):
        port = free_port()
        with Turnpike(relay_config(port)) as server:
            for _ in range(3):
                self.assertTrue(binding_works(port))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for _ in range(5):
                    s.sendto(b"\x80" * 40, ("127.0.0.1", port))  # not STUN
                s.sendto(b"x" * 9000, ("127.0.0.1", port))  # larger than a slot
            time.sleep(0.2)
            server.signal(signal.SIGUSR1)
            self.assertTrue(wait_for_log(server, "stats: "))
            line = [l for l in server.output().splitlines() if "stats: " in l][-1]
            counters = dict(item.split("=") for item in line.split("stats: ")[1].split())
            self.assertEqual(counters["binding_responses"], "3")
            self.assertEqual(counters["stun_requests"], "3")
            self.assertEqual(counters["dropped_not_stun"], "5")
            self.assertEqual(counters["dropped_oversized"], "1")
            self.assertEqual(counters["allocations_active"], "0")

    def test_sigint_stops_cleanly(self):
        port = free_port()
        with Turnpike(relay_config(port)) as server:
            server.signal(signal.SIGINT)
            self.assertEqual(server.proc.wait(5), 0)

    def test_port_in_use_is_a_clear_error(self):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
            squatter.bind(("127.0.0.1", port))
            server = Turnpike(relay_config(port))
            with self.assertRaises(RuntimeError) as caught:
                server.start()
            server.dir.cleanup()
        self.assertIn(f"127.0.0.1:{port}", str(caught.exception))
        self.assertIn("Address already in use", str(caught.exception))

    def test_second_daemon_on_the_same_address_is_refused(self):
        # SO_REUSEPORT would let the second one bind and take a share of the
        # clients; it must refuse to start and leave the first one whole.
        port = free_port()
        with Turnpike(relay_config(port)) as first:
            second = Turnpike(relay_config(port))
            with self.assertRaises(RuntimeError) as caught:
                second.start()
            second.dir.cleanup()
            self.assertIn(f"UDP 127.0.0.1:{port} is taken", str(caught.exception))
            self.assertIsNone(first.proc.poll())
            for _ in range(20):  # a share of them would go unanswered
                self.assertTrue(binding_works(port))

    def test_reuseport_squatters_are_refused(self):
        for kind, transport in ((socket.SOCK_DGRAM, "UDP"), (socket.SOCK_STREAM, "TCP")):
            port = free_port()
            with socket.socket(socket.AF_INET, kind) as squatter:
                squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                squatter.bind(("127.0.0.1", port))
                if kind == socket.SOCK_STREAM:
                    squatter.listen()
                server = Turnpike(relay_config(port))
                with self.assertRaises(RuntimeError, msg=transport) as caught:
                    server.start()
                server.dir.cleanup()
            self.assertIn(f"{transport} 127.0.0.1:{port} is taken", str(caught.exception))

    def test_an_address_not_on_this_host_is_not_called_taken(self):
        # 192.0.2.1 (TEST-NET-1) is on no interface here; nothing is sent.
        server = Turnpike(relay_config(free_port(), host="192.0.2.1"))
        with self.assertRaises(RuntimeError) as caught:
            server.start()
        server.dir.cleanup()
        self.assertIn("bind UDP 192.0.2.1:", str(caught.exception))
        self.assertIn("Cannot assign requested address", str(caught.exception))
        self.assertNotIn("is taken", str(caught.exception))

    def test_connections_in_time_wait_do_not_block_a_start(self):
        # What an earlier server on the port leaves behind: connections it
        # closed first, in TIME_WAIT for a minute. (Turnpike itself resets
        # its connections on the way out, so a plain listener makes them.)
        port = free_port()
        with socket.socket() as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen()
            with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
                accepted, _ = listener.accept()
                accepted.close()  # the server side closes first
                self.assertEqual(client.recv(1), b"")
        lingering = subprocess.run(["ss", "-tanH", "state", "time-wait",
                                    f"( sport = :{port} )"],
                                   capture_output=True, text=True, check=True).stdout
        self.assertIn(f"127.0.0.1:{port}", lingering, "the test needs a TIME_WAIT")
        with Turnpike(relay_config(port)):
            self.assertTrue(binding_works(port))
            with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
                c.sendall(stun_message(BINDING_REQUEST))
                self.assertEqual(parse_attributes(tcp_read_stun(c))[0], BINDING_SUCCESS)

    def test_embedded_defaults(self):
        # No config file at all: STUN on 0.0.0.0:3478 and [::]:3478.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("0.0.0.0", 3478))
            except OSError:
                self.skipTest("port 3478 is taken on this machine")
        proc = subprocess.Popen([TURNPIKE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    self.assertTrue(binding_works(3478))
                    break
                except socket.timeout:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
            if socket.has_ipv6:
                self.assertTrue(binding_works(3478, host="::1"))
        finally:
            proc.terminate()
            output = proc.communicate(timeout=5)[0].decode()
        self.assertEqual(proc.returncode, 0, output)
        self.assertIn("<embedded defaults>", output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
