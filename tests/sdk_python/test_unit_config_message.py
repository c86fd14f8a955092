"""Configuration and messages: values round-trip, bad keys and values give
FERRY_E_CONFIG naming them, reserved names are refused, declared-later
setters say NOT_SUPPORTED."""

import unittest

import ferry


class ConfigTest(unittest.TestCase):
    def test_set_and_get(self):
        with ferry.Config(group="orders", send_timeout_ms=1500) as conf:
            self.assertEqual(conf.get("group"), "orders")
            self.assertEqual(conf.get("send_timeout_ms"), "1500")
            self.assertEqual(conf.get("message_model"), "clustering")  # default

    def test_long_value_is_read_whole(self):
        servers = ";".join("127.0.0.%d:%d" % (i, 9000 + i) for i in range(1, 20))
        with ferry.Config(name_servers=servers) as conf:
            self.assertEqual(conf.get("name_servers"), servers)

    def test_unknown_key_names_it(self):
        with self.assertRaises(ferry.FerryError) as cm:
            ferry.Config(no_such_key="1")
        self.assertEqual(cm.exception.name, "FERRY_E_CONFIG")
        self.assertIn("no_such_key", cm.exception.message)

    def test_bad_value_names_key_and_value(self):
        with self.assertRaises(ferry.FerryError) as cm:
            ferry.Config(send_timeout_ms="soon")
        self.assertEqual(cm.exception.status, ferry.status.FERRY_E_CONFIG)
        self.assertIn("send_timeout_ms", cm.exception.message)
        self.assertIn("soon", cm.exception.message)

    def test_bool_values(self):
        with ferry.Config(enable_auto_commit=False) as conf:
            self.assertEqual(conf.get("enable_auto_commit"), "false")

    def test_closed_config_refuses(self):
        conf = ferry.Config()
        conf.close()
        conf.close()  # idempotent
        with self.assertRaises(ferry.FerryError) as cm:
            conf.set("group", "g")
        self.assertEqual(cm.exception.name, "FERRY_E_CLOSED")


class MessageTest(unittest.TestCase):
    def test_fields_round_trip(self):
        body = b"\x00binary\xffbody\x00"
        with ferry.Message("orders", body, tags="paid", keys=["order-1", "user-7"],
                           properties={"region": "eu"}, flag=3) as m:
            self.assertEqual(m.topic, "orders")
            self.assertEqual(m.body, body)
            self.assertEqual(m.tags, "paid")
            self.assertEqual(m.keys, "order-1 user-7")
            self.assertEqual(m.get_property("region"), "eu")
            self.assertIsNone(m.get_property("absent"))
            self.assertEqual(m.flag, 3)
            self.assertIsNone(m.offset_msg_id)  # received messages only

    def test_str_body_is_utf8(self):
        with ferry.Message("t", "h\u00e9") as m:
            self.assertEqual(m.body, "h\u00e9".encode())

    def test_empty_body(self):
        with ferry.Message("t") as m:
            self.assertEqual(m.body, b"")

    def test_reserved_property_refused(self):
        with ferry.Message("t", b"x") as m:
            with self.assertRaises(ferry.FerryError) as cm:
                m.set_property("TAGS", "x")
            self.assertEqual(cm.exception.name, "FERRY_E_RESERVED_NAME")

    def test_bad_topic(self):
        with self.assertRaises(ferry.FerryError) as cm:
            ferry.Message("", b"x")
        self.assertIn(cm.exception.name, ("FERRY_E_INVALID_NAME", "FERRY_E_INVALID_ARGUMENT"))

    def test_delay_is_declared_not_supported(self):
        with ferry.Message("t", b"x") as m:
            for call in (lambda: m.set_delay_level(3), lambda: m.set_deliver_at(1 << 41)):
                with self.assertRaises(ferry.FerryError) as cm:
                    call()
                self.assertEqual(cm.exception.name, "FERRY_E_NOT_SUPPORTED")
            self.assertIsNone(m.get_property("DELAY"))  # left unchanged

    def test_reset_is_a_new_message_in_the_same_memory(self):
        with ferry.Message("orders", b"first", tags="paid", keys="order-1",
                           properties={"region": "eu"}, flag=3) as m:
            self.assertIs(m.reset("refunds", b"\x00second"), m)
            self.assertEqual(m.topic, "refunds")
            self.assertEqual(m.body, b"\x00second")
            self.assertFalse(m.tags)  # absent: None (or empty)
            self.assertFalse(m.keys)
            self.assertIsNone(m.get_property("region"))
            self.assertEqual(m.flag, 0)
            with self.assertRaises(ferry.FerryError):
                m.reset("", b"x")
            self.assertEqual(m.topic, "refunds")

    def test_closed_message_refuses(self):
        m = ferry.Message("t", b"x")
        m.close()
        with self.assertRaises(ferry.FerryError) as cm:
            _ = m.body
        self.assertEqual(cm.exception.name, "FERRY_E_CLOSED")


if __name__ == "__main__":
    unittest.main()
