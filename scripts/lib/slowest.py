"""Prints the test classes of a .trx file that took longest, summed over their tests: where a pass's time goes."""
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"


def seconds(duration):
    h, m, s = duration.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def main(path, top):
    classes = {}
    for result in ET.parse(path).getroot().iter(NS + "UnitTestResult"):
        name = re.sub(r"\(.*", "", result.get("testName", ""))
        owner = name.rsplit(".", 1)[0]
        total, count = classes.get(owner, (0.0, 0))
        classes[owner] = (total + seconds(result.get("duration", "0:0:0")), count + 1)
    for owner, (total, count) in sorted(classes.items(), key=lambda c: -c[1][0])[:top]:
        print(f"{total:8.1f} s  {count:4d} tests  {owner}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15)
