"""库存: the on-hand list of vaccines and syringes (:class:`~.screen.StockScreen`) and its 入库 / 报损 / 盘点 forms."""
