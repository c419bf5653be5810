"""Vaccine and syringe stock (疫苗/注射器出入库) by batch, one module per job; import from the module itself.

- :mod:`.records` — the frozen dataclasses the services return, built from ORM rows
- :mod:`.ledger` — the ledger that never goes negative, and what every movement shares
- :mod:`.catalog` — products (vaccine + manufacturer + specification), minimums, batch lookup
- :mod:`.movements` — 入库 receive, 出库 issue, 损耗 waste, open vials past their hours
- :mod:`.counts` — 盘点 stock counts
- :mod:`.dose_binding` — a dose takes its batch and gives it back (in the dose's transaction)
- :mod:`.syringe_types` — product kinds (vaccine / syringe) and the syringe types
- :mod:`.syringes` — the syringes a dose takes (with its batch), shortages for F7
- :mod:`.proposals` — usable batches for a dose, best first (FEFO)
- :mod:`.scan` — 追溯码 and GS1 strings → product, batch
- :mod:`.alerts` — batches expiring soon, products below their minimum
- :mod:`.reports` — monthly 出入库 summary, on-hand list, movements list
- :mod:`.export` — those reports as tables, CSV and xlsx
- :mod:`.overview` — the 库存一览 screen: the on-hand list with the F7 warnings on its lines, a batch's ledger
"""
