"""protocol/vectors/ferry-*.json through ferry_wsgi.protocol: the Python codec decodes every valid
vector to its value, encodes every canonical one to the same bytes, rejects every invalid one
with the same error code as the TypeScript codec, and has the same field table."""

import json
import os
import unittest

from ferry_wsgi import protocol
from ferry_wsgi.protocol import ProtocolError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VECTORS = os.path.join(ROOT, "protocol", "vectors")


def load(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)


def to_json(value):
    if isinstance(value, bytes):
        return {"$bin": value.hex()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def from_json(value):
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if list(value) == ["$bin"]:
            return bytes.fromhex(value["$bin"])
        return {k: from_json(v) for k, v in value.items()}
    return value


def decoder(direction):
    return protocol.decode_to_handler if direction == "to-handler" else protocol.decode_to_frontend


def encoder(direction):
    return protocol.encode_to_handler if direction == "to-handler" else protocol.encode_to_frontend


class ValidVectors(unittest.TestCase):
    def test_enough_vectors(self):
        self.assertGreaterEqual(len(load("ferry-valid.json")), 30)
        self.assertGreaterEqual(len(load("ferry-invalid.json")), 18)

    def test_decode_each_valid_vector_to_its_value(self):
        for vector in load("ferry-valid.json"):
            with self.subTest(vector["name"]):
                got = decoder(vector["direction"])(bytes.fromhex(vector["hex"]))
                # Dumping compares key order and types (true is not 1) as well as values.
                self.assertEqual(json.dumps(to_json(got)), json.dumps(vector["value"]))

    def test_encode_each_canonical_value_to_its_bytes(self):
        count = 0
        for vector in load("ferry-valid.json"):
            if vector.get("canonical", True) is False:
                continue
            count += 1
            with self.subTest(vector["name"]):
                payload = encoder(vector["direction"])(from_json(vector["value"]))
                self.assertEqual(payload.hex(), vector["hex"])
        self.assertGreater(count, 20)


class InvalidVectors(unittest.TestCase):
    def test_each_invalid_vector_fails_with_its_code(self):
        for vector in load("ferry-invalid.json"):
            with self.subTest(vector["name"]):
                with self.assertRaises(ProtocolError) as caught:
                    decoder(vector["direction"])(bytes.fromhex(vector["hex"]))
                self.assertEqual(caught.exception.code, vector["error"], str(caught.exception))


class Schema(unittest.TestCase):
    def test_field_table_matches_ferry_schema_json(self):
        schema = load("ferry-schema.json")
        for direction, table in (
            ("to-handler", protocol.TO_HANDLER_FIELDS),
            ("to-frontend", protocol.TO_FRONTEND_FIELDS),
        ):
            expected = {
                kind: [(f["name"], f["type"], f["required"]) for f in fields]
                for kind, fields in schema[direction].items()
            }
            got = {kind: [tuple(f) for f in fields] for kind, fields in table.items()}
            self.assertEqual(got, expected, direction)


class Robustness(unittest.TestCase):
    """Random and truncated bytes never raise anything but ProtocolError."""

    def test_truncations_of_valid_vectors(self):
        for vector in load("ferry-valid.json")[:12]:
            payload = bytes.fromhex(vector["hex"])
            decode = decoder(vector["direction"])
            for cut in range(0, min(len(payload), 400)):
                try:
                    decode(payload[:cut])
                except ProtocolError:
                    pass

    def test_random_bytes(self):
        import random

        rng = random.Random(7)
        for _ in range(3000):
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
            for decode in (protocol.decode_to_handler, protocol.decode_to_frontend):
                try:
                    decode(data)
                except ProtocolError:
                    pass

    def test_encoder_refuses_invalid_messages(self):
        with self.assertRaises(ProtocolError) as caught:
            protocol.encode_to_frontend({"kind": "claim", "hid": "h", "conn": 1})
        self.assertEqual(caught.exception.code, ProtocolError.MISSING_FIELD)
        with self.assertRaises(ProtocolError) as caught:
            protocol.encode_to_frontend({"kind": "claim", "hid": "*", "conn": 1, "req": 1})
        self.assertEqual(caught.exception.code, ProtocolError.FIELD_TYPE)
        with self.assertRaises(ProtocolError) as caught:
            protocol.encode_to_frontend({"kind": "request"})
        self.assertEqual(caught.exception.code, ProtocolError.UNKNOWN_KIND)


if __name__ == "__main__":
    unittest.main()
