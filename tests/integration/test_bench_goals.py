"""bench/relay's verdict on the relay issue's benchmark goals, from a run's
medians: what counts as met, missed and not measured."""
import importlib.machinery
import importlib.util
import os
import unittest

ROOT = os.environ.get("TURNPIKE_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))


def load_bench():
    path = os.path.join(ROOT, "bench", "relay")
    loader = importlib.machinery.SourceFileLoader("relay_bench", path)
    spec = importlib.util.spec_from_loader("relay_bench", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


bench = load_bench()


def cell(turnpike, coturn):
    return {"turnpike": turnpike, "coturn": coturn}


def full_run(**changes):
    summary = {
        "relay.server_us_per_relayed": cell(2.0, 4.4),
        "relay-1core.server_us_per_relayed": cell(2.0, 4.0),
        "uclient.server_us_per_relayed": cell(3.0, 6.5),
        "relay.lost": cell(0, 0),
        "paced.lost": cell(0, 0),
        "relay-1core.lost": cell(0, 0),
        "uclient.lost": cell(0, 0),
        "idle.rss_mib_per_10k": cell(10.8, 215.3),
        "alloc-rate.allocations_per_s": cell(80000, 11000),
        "alloc-rate.server_us_per_allocation": cell(12.0, 126.0),
        "alloc-1core.allocations_per_s": cell(100000, 7600),
    }
    summary.update(changes)
    return summary


class GoalVerdicts(unittest.TestCase):
    def verdicts(self, summary):
        lines = bench.goal_verdicts(summary)
        self.assertEqual(len(lines), 4, lines)
        return lines

    def test_a_run_meeting_every_goal(self):
        cpu, loss, memory, alloc = self.verdicts(full_run())
        self.assertEqual(cpu, "relayed packets per CPU-second >= 2x coturn's: relay 2.20x, "
                              "relay-1core 2.00x, uclient 2.17x: met")
        self.assertTrue(loss.endswith(": met"), loss)
        self.assertIn("1,132 B per idle allocation (coturn 22,576 B): met", memory)
        self.assertEqual(alloc, "allocation rate >= 10x coturn's: alloc-1core 13.16x, "
                                "alloc-rate per server CPU-second 10.50x: met")

    def test_one_phase_below_the_line_misses_the_goal(self):
        cpu = self.verdicts(full_run(**{"relay-1core.server_us_per_relayed": cell(2.0, 3.9)}))[0]
        self.assertIn("relay-1core 1.95x", cpu)
        self.assertTrue(cpu.endswith("NOT met"), cpu)
        alloc = self.verdicts(full_run(**{"alloc-1core.allocations_per_s": cell(66564, 7037)}))[3]
        self.assertIn("alloc-1core 9.46x", alloc)
        self.assertTrue(alloc.endswith("NOT met"), alloc)
        alloc = self.verdicts(full_run(**{"alloc-rate.server_us_per_allocation":
                                          cell(15.0, 142.3)}))[3]
        self.assertIn("alloc-rate per server CPU-second 9.49x", alloc)
        self.assertTrue(alloc.endswith("NOT met"), alloc)
        memory = self.verdicts(full_run(**{"idle.rss_mib_per_10k": cell(19.6, 215.3)}))[2]
        self.assertTrue(memory.endswith("NOT met"), memory)

    def test_the_shared_alloc_rate_is_not_judged_by_its_rate(self):
        # 7.27x in rate: the load generator shares the two CPUs and caps it.
        alloc = self.verdicts(full_run(**{"alloc-rate.allocations_per_s": cell(80000, 11000)}))[3]
        self.assertNotIn("7.27x", alloc)
        self.assertTrue(alloc.endswith(": met"), alloc)

    def test_loss_counts_only_where_coturn_lost_nothing(self):
        loss = self.verdicts(full_run(**{"paced.lost": cell(3, 5)}))[1]
        self.assertIn("paced lost 3 (coturn 5)", loss)
        self.assertTrue(loss.endswith(": met"), loss)
        loss = self.verdicts(full_run(**{"uclient.lost": cell(1, 0)}))[1]
        self.assertTrue(loss.endswith("NOT met"), loss)

    def test_skipped_phases_are_not_measured_not_met(self):
        only_alloc = {k: v for k, v in full_run().items() if k.startswith("alloc")}
        cpu, loss, memory, alloc = self.verdicts(only_alloc)
        self.assertTrue(cpu.endswith(": not measured"), cpu)
        self.assertTrue(loss.endswith(": not measured"), loss)
        self.assertTrue(memory.endswith(": not measured"), memory)
        self.assertTrue(alloc.endswith(": met"), alloc)
        # A server that did not answer leaves None in its cell.
        broken = full_run(**{"relay.server_us_per_relayed": cell(None, 4.0)})
        self.assertNotIn("relay 2", self.verdicts(broken)[0].split(": ")[1])


if __name__ == "__main__":
    unittest.main()
