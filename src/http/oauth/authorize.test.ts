import { expect, it } from "vitest";
import { addressKey } from "./authorize";

it("counts password attempts per IPv4 address and per IPv6 /64", () => {
  expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
  expect(addressKey("2001:db8:1:2:3:4:5:6")).toBe(addressKey("2001:0db8:0001:0002::9"));
  expect(addressKey("2001:db8:1:2::1")).not.toBe(addressKey("2001:db8:1:3::1"));
  expect(addressKey("::1")).toBe("0:0:0:0::/64");
  expect(addressKey(undefined)).toBe("unknown");
  // Whatever a client puts there (locally nothing strips it), no throw.
  expect(() => addressKey("1:2:3:4:5:6:7:8:9:10::11")).not.toThrow();
});
