"""``epimanager platform-sim``: the reference platform server (tests, training sessions)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _rate(text: str) -> float:
    v = float(text)
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError("应在 0–1 之间")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "platform-sim",
        help="练习用平台服务器（本机 127.0.0.1）",
        description="参考平台服务器：校验、按 UUID/版本去重并保存收到的记录；可模拟故障。只监听 127.0.0.1。",
    )
    p.add_argument("--store", required=True, type=Path, metavar="PATH", help="平台自己的 SQLite 文件")
    p.add_argument("--port", type=int, default=8765, help="端口（0 = 任意空闲端口，默认 8765）")
    p.add_argument(
        "--token",
        action="append",
        metavar="TOKEN|UNIT=TOKEN",
        help="接受的令牌（可重复；UNIT=TOKEN 只对该单位有效；不设 = 不校验）",
    )
    p.add_argument("--fail-rate", type=_rate, default=0.0, help="以此概率回答 503")
    p.add_argument("--drop-rate", type=_rate, default=0.0, help="以此概率直接断开连接（不保存）")
    p.add_argument("--lost-ack-rate", type=_rate, default=0.0, help="以此概率保存后断开（回复丢失）")
    p.add_argument("--delay-ms", type=int, default=0, help="每个请求延迟毫秒数")
    p.add_argument("--seed", type=int, help="故障随机数种子")
    p.add_argument("--count", action="store_true", help="只打印平台保存的记录数（JSON）后退出")
    p.add_argument("--verbose", action="store_true", help="打印每个请求")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from epimanager.platform_sim.server import Faults, make_server
    from epimanager.platform_sim.store import PlatformStore

    if args.count:
        store = PlatformStore(args.store)
        try:
            json.dump(store.counts(), sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
        finally:
            store.close()
        return 0
    faults = Faults(args.fail_rate, args.drop_rate, args.lost_ack_rate, args.delay_ms, args.seed)
    server = make_server(args.store, port=args.port, tokens=args.token, faults=faults, verbose=args.verbose)
    print(f"平台模拟服务器已启动：{server.url}（数据：{args.store}；Ctrl+C 停止）", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.store.close()
    return 0
