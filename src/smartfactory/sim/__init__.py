"""A simulated factory with known ground truth: data to develop, test and grade analyses on.

:func:`simulate` writes one CSV file per record kind of :mod:`smartfactory.model` (exactly the
canonical columns; UTF-8; ISO 8601 timestamps with their offset, in the site's zone) and
``ground_truth.json``, and returns a summary. The same arguments give byte-identical files.

The plant: enterprise ``hanbit``, site ``plant1`` (Asia/Seoul); lines ``L1``, ``L2``, … of about
five machines, line k in area moulding / machining / assembly (k mod 3); machines ``M01`` …;
the area's products (``P-1xx`` moulded, ``P-2xx`` machined, ``P-3xx`` assembled) with ideal
cycle times, one per-machine override per area. Two shifts (06–14, 14–22; Saturday 06–14 only)
with a short and a meal break each; nights, Sundays and Korean public holidays (table for
2024–2026, fixed-date holidays only for other years) are planned downtime, as is planned
maintenance every ~5 weeks per machine. Customer demand becomes orders; a planner puts each on a
machine; each machine runs its queue with setups, failures, minor stops and idle time
(:mod:`.machine`); raw lots feed production lots, which are packed into finished lots.

Modules: :mod:`.plant` (equipment, products, traits), :mod:`.calendar` (shifts, holidays),
:mod:`.demand` (demand model, orders, planning), :mod:`.machine` (the event loop),
:mod:`.process` (tag values), :mod:`.causes` (scrap causes and model), :mod:`.materials`
(lots and genealogy), :mod:`.quality` (inspections), :mod:`.writer` (CSV), :mod:`.truth`
(ground truth), :mod:`.core` (:func:`simulate`).

``ground_truth.json`` (schema ``smartfactory.sim.ground_truth/1``; times are ISO 8601 with
offset, durations in the unit their key names):

==================  ============================================================================
``arguments``       the arguments of :func:`simulate` (``machines, days, seed, start, causes``)
``seed``            the seed again, for convenience
``period``          ``first_day``, ``last_day`` (local dates), ``start``, ``end`` (the ledger's
                    bounds: first day's local midnight, the day after the last), ``timezone``
``plant``           ``enterprise``, ``site``, ``timezone``, ``areas`` (area → lines),
                    ``lines`` (line → ``{area, machines}``)
``calendar``        ``shifts`` and ``breaks`` (local ``HH:MM``), ``saturday_shifts``,
                    ``sunday``, ``holidays`` in the period (``{date, name}``),
                    ``planned_maintenance`` (``{machine, start, end}``),
                    ``no_operator_probability_per_shift``, ``no_material_every_working_h``
``machines``        machine → ``line, area, mtbf_h`` (mean running hours between failures at
                    the start), ``mttr_median_min, mttr_sigma_log, mttr_mean_min``
                    (lognormal repair time, paused outside working time), ``speed_factor``
                    (actual cycle = ideal × factor), ``minor_stop_every_min`` (mean running
                    time between minor stops), ``minor_stop_s`` ([min, max]),
                    ``baseline_scrap, rework_rate``, ``tags`` (tag → ``unit, nominal,
                    drift_per_year, wander_sd, noise_sd``), ``realised`` (``failures``: how
                    many happened, a repair paused over a break counting once; ``running_h``)
``products``        product → ``name, area, ideal_cycle_s, per_machine_ideal_cycle_s,
                    bom`` (material → quantity per unit), ``characteristics`` (name →
                    ``unit, nominal, lsl, usl, sd``)
``materials``       material → ``name, unit, suppliers, lot_opened_at``
``baseline_scrap``  machine → baseline scrap probability (1–3 %)
``scrap_model``     ``formula`` (how the causes combine, see :mod:`.causes`) and ``p_max``
``scrap_causes``    a list, empty when ``causes=False``; one of each kind otherwise:

                    - ``{"kind": "parameter", "tag", "machines", "operator": ">",
                      "threshold", "multiplier"}``: on those machines scrap probability is
                      × multiplier while the tag's underlying value is above the threshold;
                    - ``{"kind": "material_lot", "lot", "material", "supplier",
                      "multiplier", "in_use_from", "in_use_to", "products"}``: units of those
                      products made while the purchased lot was in use scrap × multiplier;
                    - ``{"kind": "degradation", "machine", "degrades": ["mtbf", "scrap",
                      "tag"], "mtbf_h_start", "mtbf_h_end", "scrap_multiplier_start",
                      "scrap_multiplier_end", "tag", "tag_drift_over_period", "shape"}``:
                      linear wear over the period.
``inspections``     ``units_per_lot`` and how a lot's mean shifts with its scrap excess
                    (``mean_shift_sd, shift_per_sd, max_shift_sd``)
``measurements``    ``every_s`` (sampling interval while running), ``grid_s``,
                    ``wander_time_constant_s``
``demand``          ``formula`` (daily demand per product, see :mod:`.demand`),
                    ``observed_as``, ``weekly`` (weekday factors), ``target_load``,
                    ``products`` (product → ``base, trend_per_year, yearly_amplitude,
                    yearly_phase_day, noise_sigma``), ``customers`` (→ ``lead_days``),
                    ``rush_share``, ``rush_due``, ``opening_backlog``
==================  ============================================================================
"""

from .core import DEFAULT_START, FILES, simulate

__all__ = ["DEFAULT_START", "FILES", "simulate"]
