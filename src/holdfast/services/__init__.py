"""holdfast.services"""
