# JupyterLab for the consultant's notebooks (`make notebooks`, found through JUPYTER_CONFIG_PATH=etc/jupyter).
# On every save, the widget views of a notebook are dropped (their Japanese text placeholder stays), so a
# notebook saved during a meeting reopens with 「（基盤の編集画面: セルを実行すると表示されます）」 in every widget cell instead
# of "Error displaying widget: model not found" (see workbench.widgets.notebook.drop_widget_views).
from workbench.widgets.notebook import pre_save_hook

c = get_config()  # noqa: F821 - provided by the Jupyter config loader
c.ContentsManager.pre_save_hook = pre_save_hook
