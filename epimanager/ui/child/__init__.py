"""The current child: 基本资料 panel, 接种登记 grid, dose and new-child dialogs."""
