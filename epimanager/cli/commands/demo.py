"""``epimanager demo``: synthetic data for training and benchmarks."""

from __future__ import annotations

import argparse
import sys

from epimanager.cli.common import open_database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="生成演示数据（培训、性能测试用）",
        description="向已初始化的数据库添加合成的儿童及其接种记录。",
    )
    p.add_argument("--children", type=int, required=True, metavar="N", help="儿童数")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="随机种子（相同种子得到相同数据）")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.add_argument("--stock", action="store_true", help="同时登记演示用的疫苗和注射器库存（入库、最低库存）")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from epimanager.services.demo import generate

    if args.children <= 0:
        print("错误：--children 必须为正整数", file=sys.stderr)
        return 2

    def progress(done: int, total: int) -> None:
        if not args.quiet:
            print(f"\r已生成 {done}/{total} 名儿童", end="", file=sys.stderr, flush=True)

    db = open_database(args)
    receipts = 0
    try:
        report = generate(db, args.children, seed=args.seed, progress=progress)
        if args.stock:
            from epimanager.services.demo_stock import receive_demo_stock

            receipts = receive_demo_stock(db)
    finally:
        db.close()
    if not args.quiet:
        print(file=sys.stderr)
    rate = report.children / report.seconds if report.seconds else 0.0
    print(
        f"已生成儿童 {report.children} 名、接种记录 {report.doses} 条，用时 {report.seconds:.1f} 秒（{rate:.0f} 名/秒）"
    )
    if receipts:
        print(f"已登记演示库存：{receipts} 个批号（疫苗和注射器）")
    return 0
