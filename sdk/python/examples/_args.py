"""Command line shared by the examples: where the name servers are, which
topic, how many messages. Run from the repository root, e.g.
    PYTHONPATH=sdk/python python3 sdk/python/examples/producer_sync.py \
        --name-servers 127.0.0.1:10911 --topic Orders
"""

import argparse


def parse(description, count=10, **extra):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--name-servers", default="127.0.0.1:10911")
    p.add_argument("--topic", default="ExampleTopic")
    p.add_argument("--group", default="example_group")
    p.add_argument("--count", type=int, default=count)
    for name, default in extra.items():
        p.add_argument("--" + name.replace("_", "-"), default=default,
                       action="store_true" if default is False else "store")
    return p.parse_args()
