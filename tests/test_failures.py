from analysis.failures import summarise_failure

LOG = """Executing notebook with kernel: brobygning
papermill.exceptions.PapermillExecutionError:
---------------------------------------------------------------------------
Exception encountered at "In [3]":
---------------------------------------------------------------------------
RawInputError                             Traceback (most recent call last)
Cell In[3], line 9
---> 95     raise RawInputError(self.table.file, f"unknown value")
RawInputError: data/raw/p/a/register.xlsx, row 3, column 'Henvist fra [D]': unknown value 'Frisør'
"""


def test_the_failing_cell_and_the_error_message_make_one_line():
    line = summarise_failure(LOG, "notebooks/10_clean.ipynb")
    assert line == ("notebooks/10_clean.ipynb, cell In [3]: RawInputError: data/raw/p/a/register.xlsx, row 3, "
                    "column 'Henvist fra [D]': unknown value 'Frisør'")


def test_a_log_without_an_error_points_to_the_log():
    assert summarise_failure("killed\n", "nb.ipynb") == "nb.ipynb: failed without an error message; see the job's log"
