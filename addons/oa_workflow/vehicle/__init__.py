# This file is part of the oa_workflow module.
"""Vehicles (SPEC OA-F1 .. F3)

vehicle.py      the register (plate, model, seats, status) and the
                odometer readings shared by the logs
driver.py       drivers (employees with a licence)
request.py      vehicle requests, approved through the approval engine
trip.py         dispatches / trips: vehicle and driver never double-booked
                (PostgreSQL exclusion constraints), odometer out / in
fuel.py         fuel logs and the L/100 km between full tanks
maintenance.py  maintenance records, due by mileage or by date
insurance.py    insurance policies and annual inspections (年检)
incident.py     accidents and traffic violations
cost.py         costs per vehicle and per km (set-based report)
reminder.py     configuration and the scheduled reminders
"""
